/* mvmc lint --format sarif: one SARIF 2.1.0 log (OASIS, schema in
 * ../shared/data/sarif/sarif-schema-2.1.0.json) with one run. Every rule is described in
 * tool.driver.rules (id, name, descriptions, help URI into docs/lint-rules.md, default level);
 * each result has its rule, level, message, a physical location (relative paths against
 * %SRCROOT%, 1-based line and column in Unicode code points), the other party as a related
 * location, a partial fingerprint that lines inserted elsewhere do not change, and in-source
 * suppressions with their justification. No timestamps or absolute roots: two runs over the
 * same files give the same bytes. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#define FINGERPRINT_KEY "mvmLintFinding/v1"

static const char *level(enum mvm_lint_severity s)
{
	return s == MVM_LINT_ERROR ? "error" : s == MVM_LINT_WARNING ? "warning" : "note";
}

/* A path as a URI reference: unreserved characters and '/' as they are, the rest %XX. */
static void uri_escape(struct mvm_buf *b, const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     strchr("-._~/", *p);
		if (plain) {
			mvm_buf_put(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			mvm_buf_put(b, e, 3);
		}
	}
}

static json_t *artifact(const char *file)
{
	struct mvm_buf b = { 0 };
	json_t *o = json_object();
	const char *p = file;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (p[0] == '/')
		mvm_buf_puts(&b, "file://");
	uri_escape(&b, p);
	mvm_buf_put(&b, "", 1);
	json_object_set_new(o, "uri", json_string(b.oom ? "" : b.data));
	if (p[0] != '/')
		json_object_set_new(o, "uriBaseId", json_string("%SRCROOT%"));
	mvm_buf_free(&b);
	return o;
}

static json_t *location(struct mvm_loc l)
{
	json_t *phys = json_object();
	json_object_set_new(phys, "artifactLocation", artifact(l.file));
	if (l.line > 0) {
		json_t *region = json_object();
		json_object_set_new(region, "startLine", json_integer(l.line));
		json_object_set_new(region, "startColumn", json_integer(l.col > 0 ? l.col : 1));
		json_object_set_new(phys, "region", region);
	}
	json_t *loc = json_object();
	json_object_set_new(loc, "physicalLocation", phys);
	return loc;
}

static json_t *text_message(const char *s)
{
	json_t *m = json_object();
	json_object_set_new(m, "text", json_string(s));
	return m;
}

static json_t *rules(const char *help_base)
{
	json_t *list = json_array();
	for (int i = 0; i < MVM_LINT_COUNT; i++) {
		const struct mvm_lint_rule *r = &mvm_lint_rules[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(r->id));
		json_object_set_new(o, "name", json_string(r->name));
		json_object_set_new(o, "shortDescription", text_message(r->summary));
		json_object_set_new(o, "fullDescription", text_message(r->help));
		char *uri = NULL;
		if (asprintf(&uri, "%s#%s", help_base, r->anchor) < 0)
			uri = NULL;
		json_object_set_new(o, "helpUri", json_string(uri ? uri : help_base));
		free(uri);
		char *help = NULL;
		if (asprintf(&help, "%s See docs/lint-rules.md#%s.", r->help, r->anchor) < 0)
			help = NULL;
		json_object_set_new(o, "help", text_message(help ? help : r->help));
		free(help);
		json_t *cfg = json_object();
		json_object_set_new(cfg, "level", json_string(level(r->severity)));
		json_object_set_new(o, "defaultConfiguration", cfg);
		json_t *props = json_object();
		json_t *tags = json_array();
		json_array_append_new(tags, json_string("security"));
		json_array_append_new(tags, json_string("seccomp"));
		json_object_set_new(props, "tags", tags);
		json_object_set_new(o, "properties", props);
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *result(const struct mvm_lint_finding *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "ruleId", json_string(mvm_lint_rules[f->rule].id));
	json_object_set_new(o, "ruleIndex", json_integer(f->rule));
	json_object_set_new(o, "level", json_string(level(f->severity)));
	json_object_set_new(o, "message", text_message(f->message));
	json_t *locs = json_array();
	json_array_append_new(locs, location(f->loc));
	json_object_set_new(o, "locations", locs);
	/* the stdlib built into mvmc ("<stdlib>/...") is no file of the repository */
	if (f->related.file && f->related.line > 0 && f->related.file[0] != '<') {
		json_t *rel = json_array(), *l = location(f->related);
		json_object_set_new(l, "id", json_integer(1));
		json_object_set_new(l, "message", text_message("the other rule"));
		json_array_append_new(rel, l);
		json_object_set_new(o, "relatedLocations", rel);
	}
	json_t *fp = json_object();
	json_object_set_new(fp, FINGERPRINT_KEY, json_string(f->fingerprint));
	json_object_set_new(o, "partialFingerprints", fp);
	if (f->suppressed) {
		json_t *list = json_array(), *s = json_object();
		json_object_set_new(s, "kind", json_string("inSource"));
		json_object_set_new(s, "justification", json_string(f->suppressed));
		json_array_append_new(list, s);
		json_object_set_new(o, "suppressions", list);
	}
	return o;
}

int mvm_lint_write_sarif(const struct mvm_lint_result *r, const char *help_base, struct mvm_buf *out)
{
	json_t *root = json_object();
	json_object_set_new(root, "$schema", json_string(SARIF_SCHEMA));
	json_object_set_new(root, "version", json_string("2.1.0"));
	json_t *driver = json_object();
	json_object_set_new(driver, "name", json_string("mvmc lint"));
	json_object_set_new(driver, "version", json_string(MVM_VERSION));
	json_object_set_new(driver, "semanticVersion", json_string(MVM_VERSION));
	json_object_set_new(driver, "rules", rules(help_base));
	json_t *tool = json_object();
	json_object_set_new(tool, "driver", driver);
	json_t *run = json_object();
	json_object_set_new(run, "tool", tool);
	json_object_set_new(run, "columnKind", json_string("unicodeCodePoints"));
	json_t *results = json_array();
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(results, result(&r->f[i]));
	json_object_set_new(run, "results", results);
	json_t *runs = json_array();
	json_array_append_new(runs, run);
	json_object_set_new(root, "runs", runs);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	mvm_buf_puts(out, text);
	mvm_buf_puts(out, "\n");
	free(text);
	return out->oom ? -ENOMEM : 0;
}
