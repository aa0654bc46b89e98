#!/usr/bin/env python3
"""Regenerate the tables in docs/stdlib.md from the stdlib YAML.

The prose in docs/stdlib.md is written by hand; the parts between
<!-- BEGIN GENERATED: NAME --> and <!-- END GENERATED: NAME --> are rewritten from groups.yaml,
tiers/*.yaml, intents.yaml and lib/syscall_table.c, so the tables can never drift from the data.

Usage: gen_doc.py [--check]   (--check: exit 1 if docs/stdlib.md is out of date; write nothing)
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # keep stdlib/ free of __pycache__ (everything there is embedded data)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_names as cn  # noqa: E402  (same folder; shares the loader and the resolver)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "stdlib.md")


def code_list(names):
    return ", ".join(f"`{n}`" for n in names) if names else "–"


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def value_text(v):
    return hex(v) if isinstance(v, int) and v >= 0x100 else str(v)


def cond_text(c):
    op = next(k for k in c if k not in ("arg", "mask"))
    val = c[op]
    val = "[" + ", ".join(value_text(v) for v in val) + "]" if isinstance(val, list) else value_text(val)
    mask = ""
    if "mask" in c:
        m = value_text(c["mask"])
        mask = f" & ({m})" if "|" in m else f" & {m}"
    sym = {"eq": "==", "in": "in", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[op]
    return f"{c['arg']}{mask} {sym} {val}"


def rules_of(doc):
    """(action, items, when, arch, why) for each rule as written."""
    out = []
    for r in (doc.get("seccomp") or {}).get("rules") or []:
        if "action" in r:
            out.append((r["action"], r["syscalls"], r.get("when") or [], r.get("arch"), r.get("why")))
        else:
            (a, items), = r.items()
            out.append((a, items, [], None, None))
    return out


def gen_groups(lib):
    rows = ["| group | what it is for | syscalls (every arch) | x86_64 only |",
            "|---|---|---|---|"]
    for name, g in lib.groups.items():
        common = g.get("syscalls") or []
        rows.append(f"| `@{name}` | {cell(g['doc'])} | {code_list(common)} | {code_list(g.get('x86_64') or [])} |")
    if any(g.get("aarch64") for g in lib.groups.values()):
        rows.append("")
        rows.append("aarch64-only entries: " + "; ".join(
            f"`@{n}`: {code_list(g['aarch64'])}" for n, g in lib.groups.items() if g.get("aarch64")))
    return rows


def allowed_counts(lib, tier, arch):
    """How many syscalls the tier allows on an arch: unconditionally, and under conditions."""
    default = cn.default_action(lib, tier)
    uncond, cond = set(), set()
    decided = set()
    for r in cn.resolved_rules(lib, tier, arch):
        n = r.names[0]
        if n in decided:
            continue
        if not r.conds:
            decided.add(n)
            if r.action == ("allow", None):
                uncond.add(n)
        elif r.action == ("allow", None):
            cond.add(n)
    cond -= uncond
    if default == ("allow", None):
        return None
    return len(uncond), len(cond)


def gen_tiers(lib):
    rows = []
    for t in cn.TIERS:
        doc = lib.tiers[t]
        sec = doc.get("seccomp") or {}
        base = doc.get("extends")
        counts = []
        for arch in cn.ARCHES:
            c = allowed_counts(lib, t, arch)
            counts.append(f"{arch}: every syscall not refused by a rule" if c is None
                          else f"{arch}: {c[0]} allowed, {c[1]} allowed under argument conditions")
        rows.append(f"### `{t}`" + (f" (extends `{base}`)" if base else ""))
        rows.append("")
        rows.append(f"Default action: `{sec.get('default')}`. Resolved with its bases: " + "; ".join(counts) + ".")
        rows.append("")
        rs = rules_of(doc)
        if rs:
            rows.append("| # | action | syscalls | when | arch |")
            rows.append("|---|---|---|---|---|")
            for i, (a, items, when, arch, _) in enumerate(rs, 1):
                rows.append(f"| {i} | `{a}` | {code_list(items)} | "
                            f"{cell('; '.join(cond_text(c) for c in when)) or '–'} | "
                            f"{', '.join(arch) if arch else 'all'} |")
        else:
            rows.append("No rules of its own.")
        rows.append("")
    return rows[:-1]


def gen_filters(lib):
    rows = ["| tier | action | syscalls | condition | why |", "|---|---|---|---|---|"]
    for t in cn.TIERS:
        for a, items, when, arch, why in rules_of(lib.tiers[t]):
            if when:
                scope = f" ({', '.join(arch)} only)" if arch else ""
                rows.append(f"| `{t}` | `{a}` | {code_list(items)}{scope} | "
                            f"`{cell('; '.join(cond_text(c) for c in when))}` | {cell(why or '')} |")
    return rows


def gen_intents(lib):
    rows = ["| intent | max tier | egress | secrets | what it is for |", "|---|---|---|---|---|"]
    for n, it in lib.intents.items():
        rows.append(f"| `{n}` | `{it['max-tier']}` | `{it['egress']}` | `{it['secrets']}` | {cell(it['doc'])} |")
    return rows


def gen_ungrouped(lib):
    u = cn.ungrouped(lib)
    rows = []
    for arch in cn.ARCHES:
        rows.append(f"- {arch}: {code_list(u[arch])}")
    return rows


GENERATORS = {"groups": gen_groups, "tiers": gen_tiers, "filters": gen_filters,
              "intents": gen_intents, "ungrouped": gen_ungrouped}


def render(text, lib):
    def repl(m):
        name = m.group(1)
        body = "\n".join(GENERATORS[name](lib))
        return f"<!-- BEGIN GENERATED: {name} -->\n{body}\n<!-- END GENERATED: {name} -->"
    pat = re.compile(r"<!-- BEGIN GENERATED: (\w+) -->.*?<!-- END GENERATED: \1 -->", re.S)
    missing = set(GENERATORS) - set(pat.findall(text))
    if missing:
        raise SystemExit(f"gen_doc: {DOC} lacks sections {sorted(missing)}")
    return pat.sub(repl, text)


def main(argv):
    check = argv[:1] == ["--check"]
    lib = cn.Stdlib(ROOT, cn.Report())
    old = open(DOC, encoding="utf-8").read()
    new = render(old, lib)
    if check:
        if new != old:
            print(f"gen_doc: {DOC} is out of date: run stdlib/gen_doc.py", file=sys.stderr)
            return 1
        return 0
    if new != old:
        open(DOC, "w", encoding="utf-8").write(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
