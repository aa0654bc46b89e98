/* mvmc diff's text and JSON reports. Changes come in a fixed order (seccomp by architecture,
 * the default first, then syscalls by name; egress; posture), so the same two profiles always
 * give the same bytes. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#include "diff.h"

static const char *effect_name(unsigned e)
{
	switch (e) {
	case MVM_DIFF_WIDEN: return "widen";
	case MVM_DIFF_NARROW: return "narrow";
	case MVM_DIFF_WIDEN | MVM_DIFF_NARROW: return "widen+narrow";
	default: return "change";
	}
}

void mvm_diff_write_text(const struct mvm_diff *d, struct mvm_buf *out)
{
	size_t widen = 0, narrow = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct mvm_diff_change *c = &d->v[i];
		widen += (c->effect & MVM_DIFF_WIDEN) != 0;
		narrow += (c->effect & MVM_DIFF_NARROW) != 0;
		mvm_buf_printf(out, "%-12s ", effect_name(c->effect));
		if (c->arch)
			mvm_buf_printf(out, "%s ", c->arch);
		mvm_buf_printf(out, "%s:%s", c->subject, c->kind == MVM_DIFF_SYSCALL ? "" : " ");
		if (c->kind == MVM_DIFF_SYSCALL) {
			mvm_buf_printf(out, "\n    old: %s\n    new: %s\n", c->old_text ? c->old_text : "?",
				       c->new_text ? c->new_text : "?");
			for (size_t k = 0; k < c->nexample; k++)
				mvm_buf_printf(out, "    %s\n", c->example[k] ? c->example[k] : "?");
			if (c->unproven)
				mvm_buf_puts(out, "    (too many argument regions to try them all: not proved equal, counted as "
						  "widening and narrowing)\n");
			continue;
		}
		if (c->old_text && c->new_text)
			mvm_buf_printf(out, "%s -> %s\n", c->old_text, c->new_text);
		else if (c->new_text)
			mvm_buf_printf(out, "+ %s\n", c->new_text);
		else
			mvm_buf_printf(out, "- %s\n", c->old_text ? c->old_text : "");
	}
	if (d->n == 0)
		mvm_buf_puts(out, "no change in meaning\n");
	else
		mvm_buf_printf(out, "%zu change%s: %zu widen, %zu narrow\n", d->n, d->n == 1 ? "" : "s", widen, narrow);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int mvm_diff_write_json(const struct mvm_diff *d, const char *old_path, const char *new_path, struct mvm_buf *out)
{
	static const char *const kinds[] = { "syscall", "default", "arch", "egress", "posture" };
	json_t *root = json_object(), *list = json_array();
	json_object_set_new(root, "old", json_string(old_path));
	json_object_set_new(root, "new", json_string(new_path));
	for (size_t i = 0; i < d->n; i++) {
		const struct mvm_diff_change *c = &d->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(kinds[c->kind]));
		json_object_set_new(o, "effect", json_string(effect_name(c->effect)));
		json_object_set_new(o, "arch", str_or_null(c->arch));
		json_object_set_new(o, "subject", json_string(c->subject));
		json_object_set_new(o, "old", str_or_null(c->old_text));
		json_object_set_new(o, "new", str_or_null(c->new_text));
		if (c->kind == MVM_DIFF_SYSCALL) {
			json_t *ex = json_array();
			for (size_t k = 0; k < c->nexample; k++)
				json_array_append_new(ex, str_or_null(c->example[k]));
			json_object_set_new(o, "examples", ex);
			json_object_set_new(o, "exact", json_boolean(!c->unproven));
		}
		json_array_append_new(list, o);
	}
	json_object_set_new(root, "changes", list);
	json_object_set_new(root, "widened", json_boolean(d->effect & MVM_DIFF_WIDEN));
	json_object_set_new(root, "narrowed", json_boolean(d->effect & MVM_DIFF_NARROW));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	mvm_buf_puts(out, text);
	mvm_buf_puts(out, "\n");
	free(text);
	return out->oom ? -ENOMEM : 0;
}
