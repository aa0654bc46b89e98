/* mvmc lint's text and JSON output. Both list findings in the run's order (input, file, line,
 * column, rule), so two runs over the same files print the same bytes. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>

#include "lint.h"

void mvm_lint_write_text(const struct mvm_lint_result *r, struct mvm_buf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct mvm_lint_finding *f = &r->f[i];
		if (f->suppressed)
			continue;
		if (f->loc.line > 0)
			mvm_buf_printf(out, "%s:%d:%d: ", f->loc.file, f->loc.line, f->loc.col);
		else
			mvm_buf_printf(out, "%s: ", f->loc.file);
		mvm_buf_printf(out, "%s: %s [%s]\n", mvm_lint_severity_name(f->severity), f->message,
			       mvm_lint_rules[f->rule].id);
	}
}

static json_t *loc_json(struct mvm_loc l)
{
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(l.file ? l.file : ""));
	json_object_set_new(o, "line", json_integer(l.line));
	json_object_set_new(o, "column", json_integer(l.col));
	return o;
}

int mvm_lint_write_json(const struct mvm_lint_result *r, struct mvm_buf *out)
{
	size_t counts[3], suppressed;
	mvm_lint_count(r, counts, &suppressed);
	json_t *root = json_object(), *list = json_array(), *sum = json_object();
	json_object_set_new(root, "tool", json_string("mvmc lint"));
	json_object_set_new(root, "version", json_string(MVM_VERSION));
	for (size_t i = 0; i < r->n; i++) {
		const struct mvm_lint_finding *f = &r->f[i];
		json_t *o = json_object();
		json_object_set_new(o, "rule", json_string(mvm_lint_rules[f->rule].id));
		json_object_set_new(o, "name", json_string(mvm_lint_rules[f->rule].name));
		json_object_set_new(o, "severity", json_string(mvm_lint_severity_name(f->severity)));
		json_object_set_new(o, "file", json_string(f->loc.file));
		json_object_set_new(o, "line", json_integer(f->loc.line));
		json_object_set_new(o, "column", json_integer(f->loc.col));
		json_object_set_new(o, "message", json_string(f->message));
		if (f->related.file)
			json_object_set_new(o, "related", loc_json(f->related));
		json_object_set_new(o, "fingerprint", json_string(f->fingerprint));
		json_object_set_new(o, "suppressed", f->suppressed ? json_string(f->suppressed) : json_null());
		json_array_append_new(list, o);
	}
	json_object_set_new(root, "findings", list);
	json_object_set_new(sum, "files", json_integer((json_int_t)r->nfiles));
	json_object_set_new(sum, "errors", json_integer((json_int_t)counts[MVM_LINT_ERROR]));
	json_object_set_new(sum, "warnings", json_integer((json_int_t)counts[MVM_LINT_WARNING]));
	json_object_set_new(sum, "notes", json_integer((json_int_t)counts[MVM_LINT_NOTE]));
	json_object_set_new(sum, "suppressed", json_integer((json_int_t)suppressed));
	json_object_set_new(root, "summary", sum);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	mvm_buf_puts(out, text);
	mvm_buf_puts(out, "\n");
	free(text);
	return out->oom ? -ENOMEM : 0;
}
