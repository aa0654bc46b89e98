#!/usr/bin/env python3
"""Self-check of the stdlib data (groups, tiers, intents, constants, syscall-args).

Proves, from the syscall facts in lib/syscall_table.c:
  - every syscall name resolves on every arch it is claimed for, and no name is written both in
    a group's common list and in one of its arch lists (nor in an arch list while it exists on
    every arch);
  - group references resolve and have no cycles;
  - every constant and every `arg:` a tier uses exists (per arch), and values fit the width;
  - the tiers form the chain essential < minimal < standard < network < unrestricted;
  - each tier, resolved with its bases, is in the normal form mvmc accepts (docs/profile.md,
    "Meaning of rules"), per arch and per syscall;
  - intents name existing tiers and valid egress / secret postures.

Usage: check_names.py [--root DIR] [--quiet]
       check_names.py --decide TIER ARCH SYSCALL [ARG0 ...]   print the action a tier takes
Exit 0 when clean, 1 when a check fails, 2 on bad usage. Needs python3-yaml (PyYAML).
"""
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("check_names.py: PyYAML is missing (apt-get install -y python3-yaml)\n")
    sys.exit(2)

ARCHES = ("x86_64", "aarch64")
TIERS = ("essential", "minimal", "standard", "network", "unrestricted")
REQUIRED_GROUPS = ("basic-io file-system io-event ipc memory network-io process signal sync timer "
                   "clock privileged mount module raw-io reboot swap debug obsolete keyring "
                   "cpu-emulation").split()
REQUIRED_INTENTS = ("vm:boot", "vm:run", "code:execute", "agent:web-research", "deploy:publish")
SECRETS = ("none", "attestation-bound", "plan-bound")
SHORT_ACTIONS = re.compile(r"^(allow|log|enosys|trap|kill-thread|kill-process|errno\((\w+)\))$")
EQ_OPS = ("eq", "in")
ORDER_OPS = ("ne", "lt", "le", "gt", "ge")
WIDTHS = {"32": 32, "64": 64, "ptr": 64}


class CheckError(Exception):
    pass


class Report:
    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, where, msg):
        line = msg if msg.startswith(where) else f"{where}: error: {msg}"
        if line not in self.errors:     # the same rule is seen once per arch and per tier
            self.errors.append(line)

    def warn(self, where, msg):
        line = f"{where}: warning: {msg}"
        if line not in self.warnings:
            self.warnings.append(line)


# ---- loading ---------------------------------------------------------------------------------

class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, anchors and aliases (the C loader has none)."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            mark = key_node.start_mark
            raise CheckError(f"{mark.name}:{mark.line + 1}:{mark.column + 1}: duplicate key {key!r}")
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for ev in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
            m = ev.start_mark
            raise CheckError(f"{path}:{m.line + 1}:{m.column + 1}: anchors and aliases are not allowed")
    loader = StrictLoader(text)
    loader.name = path
    try:
        doc = loader.get_single_data()
    finally:
        loader.dispose()
    if not isinstance(doc, dict) or doc.get("mvm") != 1:
        raise CheckError(f"{path}: not an mvm schema 1 document (mvm: 1 missing)")
    return doc


def load_syscall_table(path):
    """{arch: {name: nr}} from the generated C table."""
    text = open(path, encoding="utf-8").read()
    tables = {}
    for arch in ARCHES:
        m = re.search(r"syscalls_%s\[\] = \{(.*?)\n\};" % arch, text, re.S)
        if not m:
            raise CheckError(f"{path}: table for {arch} not found")
        tables[arch] = {n: int(nr) for n, nr in re.findall(r'\{ "(\w+)", (\d+) \}', m.group(1))}
    return tables


# ---- the data model --------------------------------------------------------------------------

class Stdlib:
    def __init__(self, root, rep):
        self.root = root
        self.rep = rep
        sd = os.path.join(root, "stdlib")
        self.table = load_syscall_table(os.path.join(root, "lib", "syscall_table.c"))
        self.groups_path = os.path.join(sd, "groups.yaml")
        self.groups = load_yaml(self.groups_path).get("groups") or {}
        self.consts_path = os.path.join(sd, "constants.yaml")
        self.consts = load_yaml(self.consts_path).get("constants") or {}
        self.args_path = os.path.join(sd, "syscall-args.yaml")
        self.args = load_yaml(self.args_path).get("args") or {}
        self.intents_path = os.path.join(sd, "intents.yaml")
        self.intents = load_yaml(self.intents_path).get("intents") or {}
        self.tier_paths = {t: os.path.join(sd, "tiers", t + ".yaml") for t in TIERS}
        self.tiers = {t: load_yaml(p) for t, p in self.tier_paths.items()}

    # -- names

    def exists(self, arch, name):
        return name in self.table[arch]

    def everywhere(self, name):
        return all(self.exists(a, name) for a in ARCHES)

    def expand_group(self, gname, arch, stack=()):
        """Syscall names of a group on one arch (references followed)."""
        if gname in stack:
            raise CheckError(f"group cycle: {' -> '.join(stack + (gname,))}")
        g = self.groups.get(gname)
        if g is None:
            raise CheckError(f"unknown group @{gname}")
        out = []
        for item in list(g.get("syscalls") or []) + list(g.get(arch) or []):
            if item.startswith("@"):
                out += self.expand_group(item[1:], arch, stack + (gname,))
            else:
                out.append(item)
        return out

    # -- constants and values

    def const_value(self, name, arch):
        v = self.consts[name]
        return v[arch] if isinstance(v, dict) else v

    def value(self, v, arch, where):
        """An integer, or NAME|NAME|0x10 expression, for one arch."""
        if isinstance(v, bool):
            raise CheckError(f"{where}: boolean where a number is expected")
        if isinstance(v, int):
            return v
        if not isinstance(v, str):
            raise CheckError(f"{where}: bad value {v!r}")
        total = 0
        for term in v.split("|"):
            term = term.strip()
            if re.fullmatch(r"-?(0x[0-9a-fA-F]+|0o[0-7]+|0b[01]+|[0-9]+)", term):
                total |= int(term, 0)
            elif term in self.consts:
                total |= self.const_value(term, arch)
            else:
                raise CheckError(f"{where}: unknown constant {term!r}")
        return total

    # -- arguments

    def arg_spec(self, syscall, arch):
        spec = self.args.get(syscall)
        if isinstance(spec, dict):
            spec = spec.get(arch)
        if spec is None:
            return None
        return [tuple(s.split(":")) for s in spec]

    def arg_index(self, syscall, arch, name, where):
        """(index, width) of a named argument. A syscall's own names win over the generic
        arg0..arg5: prctl and keyctl call their second argument arg2, as their man pages do."""
        spec = self.arg_spec(syscall, arch) or []
        for i, (n, w) in enumerate(spec):
            if n == name:
                return i, WIDTHS[w]
        m = re.fullmatch(r"arg([0-5])", name)
        if m:
            i = int(m.group(1))
            return i, WIDTHS[spec[i][1]] if i < len(spec) else 64
        raise CheckError(f"{where}: {syscall} has no argument {name!r} on {arch}")


# ---- rules -------------------------------------------------------------------------------------

def parse_action(s, lib, where):
    if not isinstance(s, str):
        raise CheckError(f"{where}: bad action {s!r}")
    m = SHORT_ACTIONS.match(s)
    if not m:
        raise CheckError(f"{where}: unknown action {s!r}")
    if s == "enosys":
        return ("errno", 38)
    if m.group(2):
        e = m.group(2)
        n = int(e) if e.isdigit() else (lib.consts.get(e) if re.fullmatch(r"E[A-Z0-9]+", e) else None)
        if not isinstance(n, int) or not 1 <= n <= 4095:
            raise CheckError(f"{where}: bad errno {e!r}")
        return ("errno", n)
    return (s, None)


def action_text(a):
    return f"errno({a[1]})" if a[0] == "errno" else a[0]


class Rule:
    """One rule as written, for one arch: action, syscalls, conditions."""

    def __init__(self, action, names, conds, origin, why):
        self.action = action
        self.names = names          # syscall names on this arch
        self.conds = conds          # list of (argidx, width, op, mask, values) ; [] = unconditional
        self.origin = origin
        self.why = why


def parse_rules(lib, tier, arch):
    """The tier's own rules for one arch: (action, syscall names, when, where, why)."""
    doc = lib.tiers[tier]
    path = lib.tier_paths[tier]
    rules = []
    for i, r in enumerate((doc.get("seccomp") or {}).get("rules") or []):
        where = f"{path}: rule {i + 1}"
        if not isinstance(r, dict):
            raise CheckError(f"{where}: a rule is a mapping")
        if "action" in r:
            extra = set(r) - {"action", "syscalls", "when", "arch", "why"}
            if extra:
                raise CheckError(f"{where}: unknown keys {sorted(extra)}")
            action, items = r["action"], r.get("syscalls")
        else:
            if len(r) != 1:
                raise CheckError(f"{where}: short form has exactly one ACTION: [...] key")
            (action, items), = r.items()
        act = parse_action(action, lib, where)
        if not isinstance(items, list) or not items:
            raise CheckError(f"{where}: syscalls must be a non-empty list")
        arches = r.get("arch", list(ARCHES)) if "action" in r else list(ARCHES)
        for a in arches:
            if a not in ARCHES:
                raise CheckError(f"{where}: unknown arch {a!r}")
        if arch not in arches:
            continue
        names = []
        for it in items:
            if it.startswith("@"):
                if it[1:] not in lib.groups:
                    raise CheckError(f"{where}: unknown group {it}")
                names += lib.expand_group(it[1:], arch)
            else:
                if not lib.exists(arch, it):
                    raise CheckError(f"{where}: syscall {it!r} does not exist on {arch}"
                                     " (restrict the rule with arch: or use a group's arch list)")
                names.append(it)
        # conditions are resolved per syscall later: argument names and widths differ
        rules.append((act, names, r.get("when") or [], where, r.get("why")))
    return rules


def conds_for(lib, syscall, arch, when, where):
    conds = []
    seen_args = set()
    for c in when:
        if not isinstance(c, dict) or "arg" not in c:
            raise CheckError(f"{where}: a condition is {{arg: NAME, OP: VALUE}}")
        idx, width = lib.arg_index(syscall, arch, c["arg"], where)
        if idx in seen_args:
            raise CheckError(f"{where}: two conditions on argument {c['arg']} of {syscall}")
        seen_args.add(idx)
        ops = [k for k in c if k in EQ_OPS + ORDER_OPS]
        extra = set(c) - set(EQ_OPS + ORDER_OPS) - {"arg", "mask"}
        if extra or len(ops) != 1:
            raise CheckError(f"{where}: a condition has one of eq/ne/lt/le/gt/ge/in (and optional mask)")
        op = ops[0]
        if op in ORDER_OPS and width != 64:
            raise CheckError(f"{where}: {op} on {syscall}.{c['arg']}, a {width}-bit argument")
        mask = None
        if "mask" in c:
            if op not in EQ_OPS:
                raise CheckError(f"{where}: mask goes with eq or in")
            mask = lib.value(c["mask"], arch, where)
        vals = c[op] if op == "in" else [c[op]]
        if op == "in" and (not isinstance(vals, list) or not vals):
            raise CheckError(f"{where}: in takes a non-empty list")
        vals = [lib.value(v, arch, where) for v in vals]
        limit = (1 << width) - 1
        for v in vals + ([mask] if mask is not None else []):
            if v < 0 or v > limit:
                raise CheckError(f"{where}: value {v:#x} does not fit {syscall}.{c['arg']} ({width} bits)")
        if mask is not None:
            for v in vals:
                if v & ~mask:
                    raise CheckError(f"{where}: value {v:#x} has bits outside mask {mask:#x}: never matches")
        conds.append((idx, width, "eq" if op == "in" else op, mask, tuple(vals)))
    return conds


def resolved_rules(lib, tier, arch, rep=None):
    """The tier's effective rule list for one arch: its own rules, then its base's. With rep,
    a broken rule is reported and skipped; without, the first problem raises CheckError."""
    chain = []
    t = tier
    while t:
        chain.append(t)
        t = lib.tiers[t].get("extends")
    out = []
    for t in chain:
        try:
            parsed = parse_rules(lib, t, arch)
        except CheckError as e:
            if rep is None:
                raise
            rep.error(lib.tier_paths[t], str(e))
            continue
        for act, names, when, where, why in parsed:
            for n in names:
                try:
                    out.append(Rule(act, [n], conds_for(lib, n, arch, when, where), where, why))
                except CheckError as e:
                    if rep is None:
                        raise
                    rep.error(where, str(e))
    return out


def default_action(lib, tier):
    t = tier
    while t:
        d = (lib.tiers[t].get("seccomp") or {}).get("default")
        if d is not None:
            return parse_action(d, lib, lib.tier_paths[t])
        t = lib.tiers[t].get("extends")
    return ("kill-process", None)


def cond_matches(cond, args):
    idx, width, op, mask, vals = cond
    a = args[idx] if idx < len(args) else 0
    if width == 32:
        a &= 0xffffffff
    if mask is not None:
        a &= mask
    if op == "eq":
        return a in vals
    v = vals[0]
    return {"ne": a != v, "lt": a < v, "le": a <= v, "gt": a > v, "ge": a >= v}[op]


def decide(lib, tier, arch, syscall, args):
    for r in resolved_rules(lib, tier, arch):
        if r.names[0] == syscall and all(cond_matches(c, args) for c in r.conds):
            return r.action, r.origin
    return default_action(lib, tier), "default"


# ---- checks ------------------------------------------------------------------------------------

def check_groups(lib, rep):
    p = lib.groups_path
    for g in REQUIRED_GROUPS:
        if g not in lib.groups:
            rep.error(p, f"required group {g} is missing")
    for gname, g in lib.groups.items():
        where = f"{p}: group {gname}"
        if not isinstance(g, dict):
            rep.error(where, "a group is a mapping")
            continue
        extra = set(g) - {"doc", "syscalls"} - set(ARCHES)
        if extra:
            rep.error(where, f"unknown keys {sorted(extra)}")
        if not g.get("doc"):
            rep.error(where, "doc is missing")
        common = g.get("syscalls")
        if not isinstance(common, list):
            rep.error(where, "syscalls must be a list")
            common = []
        seen = set()
        for n in common:
            if n in seen:
                rep.error(where, f"{n} listed twice")
            seen.add(n)
            if n.startswith("@"):
                if n[1:] not in lib.groups:
                    rep.error(where, f"unknown group {n}")
                continue
            missing = [a for a in ARCHES if not lib.exists(a, n)]
            if missing:
                rep.error(where, f"{n} is in syscalls but does not exist on {', '.join(missing)}")
        for arch in ARCHES:
            for n in g.get(arch) or []:
                if n.startswith("@"):
                    rep.error(where, f"group reference {n} belongs in syscalls, not {arch}")
                    continue
                if n in seen:
                    rep.error(where, f"{n} is in both syscalls and {arch}")
                if not lib.exists(arch, n):
                    rep.error(where, f"{n} is in {arch} but does not exist there")
                elif lib.everywhere(n):
                    rep.error(where, f"{n} exists on every arch: it belongs in syscalls")
        try:
            for arch in ARCHES:
                lib.expand_group(gname, arch)
        except CheckError as e:
            rep.error(where, str(e))


def check_constants(lib, rep):
    p = lib.consts_path
    for name, v in lib.consts.items():
        if not re.fullmatch(r"[A-Z][A-Za-z0-9_]*", str(name)):
            rep.error(p, f"bad constant name {name!r}")
        vals = v.values() if isinstance(v, dict) else [v]
        if isinstance(v, dict) and set(v) != set(ARCHES):
            rep.error(p, f"{name}: a per-arch value names exactly {', '.join(ARCHES)}")
        for x in vals:
            if not isinstance(x, int) or isinstance(x, bool) or x < 0 or x > 0xffffffffffffffff:
                rep.error(p, f"{name}: {x!r} is not an unsigned 64-bit integer")
    for i, n in enumerate(("EPERM", "ENOSYS", "EHWPOISON")):
        if lib.consts.get(n) != (1, 38, 133)[i]:
            rep.error(p, f"{n} must be {(1, 38, 133)[i]}")


def check_args(lib, rep):
    p = lib.args_path
    for sc, spec in lib.args.items():
        specs = spec.items() if isinstance(spec, dict) else [(a, spec) for a in ARCHES if lib.exists(a, sc)]
        if isinstance(spec, dict) and set(spec) - set(ARCHES):
            rep.error(p, f"{sc}: unknown arch keys {sorted(set(spec) - set(ARCHES))}")
        if not any(lib.exists(a, sc) for a in ARCHES):
            rep.error(p, f"{sc}: no such syscall on any arch")
        for arch, lst in specs:
            if not lib.exists(arch, sc):
                rep.error(p, f"{sc}: does not exist on {arch}")
            if not isinstance(lst, list) or len(lst) > 6:
                rep.error(p, f"{sc}: a list of at most 6 name:width entries")
                continue
            names = set()
            for s in lst:
                m = re.fullmatch(r"([a-z][a-z0-9_]*):(32|64|ptr)", str(s))
                if not m:
                    rep.error(p, f"{sc}: bad entry {s!r} (name:32|64|ptr)")
                    continue
                if m.group(1) in names:
                    rep.error(p, f"{sc}: argument name {m.group(1)} repeated")
                g = re.fullmatch(r"arg([0-5])", m.group(1))
                if g and sc not in ("prctl", "keyctl"):
                    rep.error(p, f"{sc}: {m.group(1)} is a generic name (0-based); pick another")
                names.add(m.group(1))


def check_intents(lib, rep):
    p = lib.intents_path
    for n in REQUIRED_INTENTS:
        if n not in lib.intents:
            rep.error(p, f"required intent {n} is missing")
    for n, it in lib.intents.items():
        where = f"{p}: intent {n}"
        if not re.fullmatch(r"[a-z][a-z0-9-]*:[a-z][a-z0-9-]*", n):
            rep.error(where, "intent names are DOMAIN:VERB")
        if set(it) != {"doc", "max-tier", "egress", "secrets"}:
            rep.error(where, "keys are exactly doc, max-tier, egress, secrets")
            continue
        if it["max-tier"] not in TIERS:
            rep.error(where, f"unknown tier {it['max-tier']!r}")
        if it["egress"] not in ("deny", "allowlist"):
            rep.error(where, "egress is deny or allowlist")
        if it["secrets"] not in SECRETS:
            rep.error(where, f"secrets is one of {', '.join(SECRETS)}")


def disjoint(c1, c2):
    """True when two conjunctions can never both hold (proved on one shared argument)."""
    for a in c1:
        for b in c2:
            if a[0] != b[0] or a[2] != "eq" or b[2] != "eq" or a[3] != b[3]:
                continue
            m = a[3] if a[3] is not None else (1 << 64) - 1
            if not {v & m for v in a[4]} & {v & m for v in b[4]}:
                return True
    return False


def check_normal_form(lib, rep, tier, arch):
    """What mvmc accepts per syscall (docs/profile.md): see the module doc."""
    rules = resolved_rules(lib, tier, arch, rep)
    by_sc = {}
    for r in rules:
        by_sc.setdefault(r.names[0], []).append(r)
    for sc, rs in by_sc.items():
        where = f"tier {tier} ({arch}) {sc}"
        live = []
        for r in rs:
            live.append(r)
            if not r.conds:
                break
        dead = rs[len(live):]
        # a rule shadowed by an unconditional one written in the same file is a mistake
        for d in dead:
            if d.origin.split(":")[0] == live[-1].origin.split(":")[0] and d.action != live[-1].action:
                rep.error(where, f"{d.origin} can never match: {live[-1].origin} decides {sc} first")
        last = live[-1]
        conditional = [r for r in live if r.conds]
        if not last.conds:
            others = [r for r in conditional if r.action != last.action]
            if others:
                args = {c[0] for r in others for c in r.conds}
                ok = len(args) == 1 and all(len(r.conds) == 1 and r.conds[0][2] == "eq" for r in others)
                if not ok:
                    rep.error(where, "conditional rules before an unconditional one with another action "
                              "must all be eq/in tests on one argument")
        for i, a in enumerate(conditional):
            for b in conditional[i + 1:]:
                if a.action != b.action and not disjoint(a.conds, b.conds):
                    rep.error(where, f"{a.origin} and {b.origin} differ in action and are not provably disjoint")


def check_no_shadowed_filter(lib, rep, tier, arch):
    """Within one tier file, a syscall that a rule filters by argument must not also be allowed
    unconditionally (typically through a group): one of the two rules would be pointless."""
    filtered, unconditional = {}, {}
    for act, names, when, where, _ in parse_rules(lib, tier, arch):
        for n in names:
            (filtered if when else unconditional).setdefault(n, (act, where))
    for n, (act, where) in filtered.items():
        if n in unconditional and unconditional[n][0] == act:
            rep.error(where, f"{tier} filters {n} by argument but {unconditional[n][1]} allows it "
                      "unconditionally in the same tier")


def check_tiers(lib, rep):
    for i, t in enumerate(TIERS):
        doc, p = lib.tiers[t], lib.tier_paths[t]
        extra = set(doc) - {"mvm", "name", "extends", "seccomp"}
        if extra:
            rep.error(p, f"unexpected top-level keys {sorted(extra)}")
        if doc.get("name") != t:
            rep.error(p, f"name must be {t}")
        want = TIERS[i - 1] if i else None
        if doc.get("extends") != want:
            rep.error(p, f"extends must be {want}")
        sec = doc.get("seccomp") or {}
        if set(sec) - {"default", "rules"}:
            rep.error(p, f"unexpected seccomp keys {sorted(set(sec) - {'default', 'rules'})}")
        if "default" not in sec:
            rep.error(p, "each tier states its default action")
        for arch in ARCHES:
            try:
                check_no_shadowed_filter(lib, rep, t, arch)
                check_normal_form(lib, rep, t, arch)
            except CheckError as e:
                rep.error(p, str(e))


def ungrouped(lib):
    """Syscalls that no group lists, per arch (for the docs)."""
    out = {}
    for arch in ARCHES:
        listed = set()
        for g in lib.groups:
            listed |= set(lib.expand_group(g, arch))
        out[arch] = sorted(set(lib.table[arch]) - listed)
    return out


def run_checks(root, quiet=False):
    rep = Report()
    try:
        lib = Stdlib(root, rep)
        check_groups(lib, rep)
        check_constants(lib, rep)
        check_args(lib, rep)
        check_intents(lib, rep)
        check_tiers(lib, rep)
    except CheckError as e:
        rep.error("stdlib", str(e))
    for line in rep.warnings + rep.errors:
        print(line, file=sys.stderr)
    if not quiet:
        print(f"check_names: {len(rep.errors)} error(s), {len(rep.warnings)} warning(s)")
    return 1 if rep.errors else 0


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    quiet = False
    args = list(argv)
    if args[:1] == ["--root"] and len(args) >= 2:
        root, args = args[1], args[2:]
    if args[:1] == ["--quiet"]:
        quiet, args = True, args[1:]
    if args[:1] == ["--decide"]:
        if len(args) < 4:
            print(__doc__, file=sys.stderr)
            return 2
        lib = Stdlib(root, Report())
        tier, arch, sc = args[1:4]
        nums = [int(x, 0) for x in args[4:]]
        act, origin = decide(lib, tier, arch, sc, nums)
        print(f"{action_text(act)}\t{origin}")
        return 0
    if args:
        print(__doc__, file=sys.stderr)
        return 2
    return run_checks(root, quiet)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
