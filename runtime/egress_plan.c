/* What a verified bundle asks of egress: plan.json's network.egress (the resolver and the
 * host-name rules, by index) and the egress.nft bytes, both from the bytes admission verified.
 * The body is checked to be nothing but a table body before it is ever wrapped. */
#include "egress.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/bundle.h"
#include "../lib/canon_json.h"

static int errf(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

void mvm_egress_spec_free(struct mvm_egress_spec *s)
{
	free(s->name);
	memset(s, 0, sizeof(*s));
}

static bool word_at(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int mvm_egress_body_check(const char *body, size_t len, char *err, size_t errlen)
{
	static const char *const banned[] = { "include", "define", "redefine", "undefine", NULL };
	static const char *const vars[] = { "$mvm_iface", "$mvm_addr4", "$mvm_addr6", NULL };
	if (len == 0 || len > MVM_EGRESS_MAX_BODY)
		return errf(err, errlen, -EINVAL, "egress.nft: %zu bytes (1..%u)", len, MVM_EGRESS_MAX_BODY);
	const char *p = body, *end = body + len;
	long depth = 0;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (!(c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)))
			return errf(err, errlen, -EINVAL, "egress.nft: byte 0x%02x at offset %zu", c, (size_t)(p - body));
		if (c == '#') { /* a comment runs to the end of the line */
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		if (c == '"') { /* a string: no newline, no escapes in what mvmc writes */
			const char *q = p + 1;
			while (q < end && *q != '"' && *q != '\n')
				q++;
			if (q == end || *q != '"')
				return errf(err, errlen, -EINVAL, "egress.nft: unterminated string at offset %zu", (size_t)(p - body));
			p = q + 1;
			continue;
		}
		if (c == '{')
			depth++;
		if (c == '}' && --depth < 0)
			return errf(err, errlen, -EINVAL, "egress.nft: '}' at offset %zu closes the table it is wrapped in",
				    (size_t)(p - body));
		if (c == '$') {
			size_t k = 0;
			while (vars[k] && !(word_at(p, end, vars[k]) &&
					    (p + strlen(vars[k]) == end || !ident_char(p[strlen(vars[k])]))))
				k++;
			if (!vars[k])
				return errf(err, errlen, -EINVAL, "egress.nft: a variable other than $mvm_iface, $mvm_addr4, "
						  "$mvm_addr6 at offset %zu", (size_t)(p - body));
		}
		if (ident_char((char)c) && (p == body || !ident_char(p[-1]))) {
			for (size_t k = 0; banned[k]; k++)
				if (word_at(p, end, banned[k]) &&
				    (p + strlen(banned[k]) == end || !ident_char(p[strlen(banned[k])])))
					return errf(err, errlen, -EINVAL, "egress.nft: '%s' at offset %zu is not allowed in a table body",
						    banned[k], (size_t)(p - body));
		}
		p++;
	}
	if (depth != 0)
		return errf(err, errlen, -EINVAL, "egress.nft: unbalanced braces");
	return 0;
}

static const struct mvm_cj *member(const struct mvm_cj *obj, const char *key, enum mvm_cj_kind kind)
{
	const struct mvm_cj *v = obj && obj->kind == MVM_CJ_OBJECT ? mvm_cj_get(obj, key) : NULL;
	return v && v->kind == kind ? v : NULL;
}

static bool is_v6(const char *text)
{
	return strchr(text, ':') != NULL;
}

static int read_egress(const struct mvm_cj *eg, struct mvm_egress_spec *s, char *err, size_t errlen)
{
	const struct mvm_cj *res = member(eg, "resolver", MVM_CJ_STRING), *allow = member(eg, "allow", MVM_CJ_ARRAY);
	if (!allow)
		return errf(err, errlen, -EINVAL, "plan.json: network.egress.allow is not a list");
	if (res) {
		uint8_t tmp[16];
		if (inet_pton(AF_INET, res->str, tmp) != 1 && inet_pton(AF_INET6, res->str, tmp) != 1)
			return errf(err, errlen, -EINVAL, "plan.json: resolver '%s' is not an IP address", res->str);
		snprintf(s->resolver, sizeof(s->resolver), "%s", res->str);
		s->ipv6 |= is_v6(res->str);
	}
	if (allow->n > MVM_EGRESS_MAX_NAMES)
		return errf(err, errlen, -EINVAL, "plan.json: more than %d egress rules", MVM_EGRESS_MAX_NAMES);
	s->name = calloc(allow->n ? allow->n : 1, sizeof(*s->name));
	if (!s->name)
		return errf(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < allow->n; i++) {
		const struct mvm_cj *host = member(allow->val[i], "host", MVM_CJ_STRING),
				   *cidr = member(allow->val[i], "cidr", MVM_CJ_STRING);
		if (!host == !cidr)
			return errf(err, errlen, -EINVAL, "plan.json: egress rule %zu needs exactly one of host, cidr", i);
		if (cidr) {
			s->ipv6 |= is_v6(cidr->str);
			continue;
		}
		if (host->n == 0 || host->n >= sizeof(s->name[0].host))
			return errf(err, errlen, -EINVAL, "plan.json: egress rule %zu: bad host name", i);
		if (!s->resolver[0])
			return errf(err, errlen, -EINVAL, "plan.json: egress rule %zu names a host, but there is no resolver", i);
		s->name[s->nname].rule = i;
		memcpy(s->name[s->nname].host, host->str, host->n + 1);
		s->nname++;
		s->ipv6 = true; /* a name may resolve to IPv6 addresses */
	}
	return 0;
}

int mvm_egress_spec_from_bundle(const struct mvm_bundle *b, struct mvm_egress_spec *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	const struct mvm_named_bytes *plan = mvm_bundle_file(b, MVM_BUNDLE_PLAN);
	const struct mvm_named_bytes *nft = mvm_bundle_file(b, "egress.nft");
	if (!plan)
		return errf(err, errlen, -EINVAL, "the bundle has no plan.json");
	struct mvm_arena a;
	mvm_arena_init(&a, 16u << 20);
	struct mvm_cj *root;
	char perr[128];
	int rc = mvm_cj_parse(&a, (const char *)plan->data, plan->len, &root, perr, sizeof(perr));
	if (rc) {
		rc = errf(err, errlen, rc, "plan.json: %s", perr);
		goto out;
	}
	const struct mvm_cj *net = member(root, "network", MVM_CJ_OBJECT);
	const struct mvm_cj *eg = net ? mvm_cj_get(net, "egress") : NULL;
	if (!eg) {
		rc = errf(err, errlen, -EINVAL, "plan.json: no network.egress");
		goto out;
	}
	if (eg->kind == MVM_CJ_STRING) { /* "none" (lib/bundle.c accepts nothing else) */
		rc = nft ? errf(err, errlen, -EINVAL, "the plan allows no egress, but the bundle has an egress.nft") : -ENOENT;
		goto out;
	}
	if (!nft) {
		rc = errf(err, errlen, -EINVAL, "the plan allows egress, but the bundle has no egress.nft");
		goto out;
	}
	if ((rc = read_egress(eg, s, err, errlen)))
		goto out;
	if ((rc = mvm_egress_body_check((const char *)nft->data, nft->len, err, errlen)))
		goto out;
	s->body = (const char *)nft->data;
	s->body_len = nft->len;
out:
	mvm_arena_free(&a);
	return rc;
}
