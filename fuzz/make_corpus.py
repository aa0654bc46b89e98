#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/TARGET/ (committed; run again
after a format change). Seeds come from the repository (profiles, stdlib tiers, fuzz/seeds/,
the DSL error cases, moby's default seccomp profile) and from a bundle that build/bin/mvmc
builds and signs here; binary formats (nonce store, DNS, BPF) are built byte by byte.

usage: fuzz/make_corpus.py [--mvmc build/bin/mvmc]
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import shutil
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
NOW = 1700000000  # the clock of fuzz/fuzz_dsse.c
HOST_KEYID = "3097e2dee2cb4a34b53840cdb705aed7"  # fuzz_key(MVM_ROLE_HOST)
PUBLISHER_KEYID = "9a92d2b54a9a5402de3e65a07a5cb12a"  # fuzz_key(MVM_ROLE_PUBLISHER)
MOBY = "/work/shared/data/moby/default.json"


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def profiles():
    yaml = sorted(glob.glob(os.path.join(ROOT, "profiles", "*.yaml"))) + [
        os.path.join(ROOT, "stdlib", "tiers", "standard.yaml"),
        os.path.join(ROOT, "fuzz", "seeds", "full.yaml"),
        os.path.join(ROOT, "fuzz", "seeds", "lib.yaml"),
    ]
    dsl = sorted(glob.glob(os.path.join(ROOT, "profiles", "*.mvm"))) + [
        os.path.join(ROOT, "fuzz", "seeds", "full.mvm"),
        os.path.join(ROOT, "fuzz", "seeds", "lib.mvm"),
    ]
    errors = sorted(glob.glob(os.path.join(ROOT, "tests", "dsl", "errors", "*.mvm.in")))[::4]
    return yaml, dsl, errors


def seed_profiles():
    yaml, dsl, errors = profiles()
    for p in yaml:
        put("yaml", os.path.basename(p), read(p))
        put("compile", "yaml-" + os.path.basename(p), b"\x00" + read(p))
    for p in dsl + errors:
        put("dsl", os.path.basename(p), read(p))
    for p in dsl:
        put("compile", "dsl-" + os.path.basename(p), b"\x01" + read(p))
    put("yaml", "alias-bomb.yaml", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n")
    put("yaml", "flow.yaml", '{mvm: 1, name: "x", seccomp: {default: allow, rules: [{allow: [read]}]}}\n')


def seed_import():
    small = {
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
        "syscalls": [
            {"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_MASKED_EQ", "valueTwo": 8}]},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS",
             "includes": {"caps": ["CAP_SYS_PTRACE"]}, "excludes": {"arches": ["aarch64"]}},
        ],
    }
    put("import_oci", "small.json", b"\x00" + json.dumps(small, indent=1).encode())
    put("import_oci", "small-caps.json", b"\x02" + json.dumps(small).encode())
    if os.path.exists(MOBY):
        put("import_oci", "moby-default.json", b"\x01" + read(MOBY))


def bundle_files(mvmc, tmp):
    """A signed bundle of fuzz/seeds/full.yaml: (envelope bytes, {name: bytes})."""
    key = os.path.join(tmp, "pub")
    subprocess.run([mvmc, "keygen", "--role", "publisher", "-o", key], check=True, capture_output=True)
    out = os.path.join(tmp, "bundle")
    subprocess.run([mvmc, "build", os.path.join(ROOT, "profiles", "python-runner.yaml"), "-o", out,
                    "--sign-key", key + ".key", "--not-before", str(NOW - 3600), "--valid-for", "1d"],
                   check=True, capture_output=True)
    files = {n: read(os.path.join(out, n)) for n in sorted(os.listdir(out))}
    return files.pop("bundle.dsse.json"), files


def with_files(head, files):
    data = head
    for name, body in files.items():
        data += b"\n--file " + name.encode() + b"\n" + body
    return data


def seed_dsse(mvmc):
    with tempfile.TemporaryDirectory() as tmp:
        env, files = bundle_files(mvmc, tmp)
    plan = files["plan.json"]
    small = {n: b for n, b in files.items() if n in ("plan.json", "seccomp.x86_64.bpf")}
    put("dsse", "envelope-and-files", b"\x00" + with_files(env, small))
    put("dsse", "envelope-only", b"\x00" + env)
    others = {n: b for n, b in files.items() if n != "plan.json"}
    put("dsse", "signed-plan-and-artifacts", b"\x05" + with_files(plan, others))
    put("dsse", "signed-plan-missing-artifact", b"\x05" + plan)
    exec_plan = {"bundle": "sha256:" + hashlib.sha256(env).hexdigest(),
                 "bundle_path": "/srv/bundles/python-runner", "issued_at": NOW,
                 "nonce": "ab" * 32, "plan": "sha256:" + hashlib.sha256(plan).hexdigest(),
                 "schema": 1, "tenant": "default", "valid_from": NOW, "valid_until": NOW + 300}
    put("dsse", "exec-plan", b"\x02" + canon(exec_plan))
    put("dsse", "canonical-values", b"\x03" + canon({"a": [1, -2, "\u00e9\n\"\\"], "b": {"c": {}}, "d": []}))
    put("dsse", "public-key", b"\x03mvm-public-key-v1 publisher " + base64.b64encode(bytes(range(32))) + b"\n")
    put("dsse", "canonical-escapes", b"\x03" + b'["\\u0001\\b\\f\\n\\r\\t",9223372036854775807,-9223372036854775808]')


def seed_audit():
    entry = {"bundle": "sha256:" + "1" * 64, "event": "plan.admitted", "keyid": HOST_KEYID,
             "labels": {"team": "platform"}, "plan": "sha256:" + "2" * 64, "prev": "sha256:" + "0" * 64,
             "seq": 1, "tenant": "fuzz", "ts": NOW}
    put("audit_line", "entry", b"\x01" + canon(entry))
    linked = dict(entry, event="audit.segment", seq=42, detail="rotated",
                  link={"prev_file": "fuzz.000001.jsonl", "prev_last_seq": 41, "prev_size": 123456, "segment": 2})
    put("audit_line", "entry-link", b"\x01" + canon(linked))
    head = {"hash": "sha256:" + "3" * 64, "keyid": HOST_KEYID, "offset": 0, "segment": 1, "seq": 1,
            "size": 512, "tenant": "fuzz", "ts": NOW}
    put("audit_line", "head", b"\x02" + canon(head))
    sig = base64.b64encode(bytes(range(64))).decode()
    put("audit_line", "stored-line", b"\x00" + b'{"entry":' + canon(entry) + b',"sig":"' + sig.encode() + b'"}')
    put("audit_line", "stored-head", b"\x00" + b'{"head":' + canon(head) + b',"sig":"' + sig.encode() + b'"}\n')


def nonce_record(nonce, expires):
    rec = nonce + struct.pack("<q", expires)
    return rec + hashlib.sha256(b"mvm-nonce-record" + rec).digest()[:8]


def seed_nonce():
    magic = b"mvm-nonce-v1\n\x00\x00\x00"
    now = struct.pack("<q", NOW)
    mine = bytes([7]) * 32
    recs = b"".join(nonce_record(bytes([i]) * 32, NOW + (i - 2) * 100) for i in range(1, 6))
    put("nonce_store", "store", now + mine + magic + recs)
    put("nonce_store", "store-torn", now + mine + magic + recs + b"\x01" * 20)
    put("nonce_store", "store-replay", now + mine + magic + recs + nonce_record(mine, NOW + 60))
    put("nonce_store", "store-corrupt", now + mine + magic + recs[:-1] + b"\x00")
    put("nonce_store", "empty-store", now + mine + magic)


def seed_toml():
    put("config_toml", "security", "# mvm configuration\n[security]\nack_docker_tier = true\n")
    put("config_toml", "types",
        '\ufefftop = 1\n[backend]\nprefer = "firecracker"\nlimit = -12_345\npath = \'C:\\raw\'\n'
        'esc = "tab\\tquote\\"\\u00e9"\n[other-table_2]\nflag = false # trailing\r\n')


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def dns_msg(qid, name, qtype, answers, rcode=0, flags=0x81):
    hdr = struct.pack(">HBBHHHH", qid, flags, 0x80 | rcode, 1, len(answers), 0, 0)
    q = dns_name(name) + struct.pack(">HH", qtype, 1)
    body = b""
    for rname, rtype, ttl, rdata in answers:
        body += rname + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return hdr + q + body


def seed_dns():
    ptr = b"\xc0\x0c"  # the question's name
    a = dns_msg(0x1234, "example.com", 1, [(ptr, 1, 300, bytes([93, 184, 216, 34])),
                                           (ptr, 1, 60, bytes([93, 184, 216, 35]))])
    put("dns", "a", b"\x00" + a)
    aaaa = dns_msg(0x4242, "example.com", 28, [(ptr, 28, 300, bytes(range(16)))])
    put("dns", "aaaa", b"\x40" + aaaa)
    # x -> cname target (compressed pointer into the answer) -> address
    cname_target = dns_name("target.example.net")
    chain = dns_msg(0x0101, "x", 1, [(ptr, 5, 100, cname_target)])
    off = len(chain) - len(cname_target)
    chain = dns_msg(0x0101, "x", 1, [(ptr, 5, 100, cname_target),
                                     (bytes([0xc0 | (off >> 8), off & 0xff]), 1, 50, bytes([10, 0, 0, 1]))])
    put("dns", "cname", b"\x02" + chain)
    put("dns", "nxdomain", b"\x00" + dns_msg(0x1234, "example.com", 1, [], rcode=3))
    put("dns", "truncated", b"\x00" + dns_msg(0x1234, "example.com", 1, [], flags=0x83))


def seed_bpf(mvmc):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        subprocess.run([mvmc, "build", os.path.join(ROOT, "profiles", "python-runner.yaml"), "-o", out],
                       check=True, capture_output=True)
        progs = {a: read(os.path.join(out, "seccomp.%s.bpf" % a)) for a in ("x86_64", "aarch64")}
    # struct seccomp_data: nr, arch, instruction_pointer, args[6]
    def data(nr, arch, args):
        return struct.pack("<iIQ6Q", nr, arch, 0x401000, *args)
    put("bpf", "x86_64-read", b"\x00" + data(0, 0xc000003e, [3, 0, 4096, 0, 0, 0]) + progs["x86_64"])
    put("bpf", "x86_64-socket-kernel", b"\x01" + data(41, 0xc000003e, [2, 1, 0, 0, 0, 0]) + progs["x86_64"])
    put("bpf", "aarch64-openat", b"\x00" + data(56, 0xc00000b7, [0xffffff9c, 0, 0, 0, 0, 0]) + progs["aarch64"])
    # every opcode the checker knows, once: scratch memory, ALU, jumps, RET A
    ins = lambda code, jt, jf, k: struct.pack("<HBBI", code, jt, jf, k)
    alu = b"".join(ins(c, 0, 0, 3) for c in (0x04, 0x14, 0x24, 0x34, 0x44, 0x54, 0x64, 0x74, 0xa4))
    alu += b"".join(ins(c, 0, 0, 0) for c in (0x0c, 0x1c, 0x2c, 0x3c, 0x4c, 0x5c, 0x6c, 0x7c, 0xac, 0x84))
    prog = (ins(0x20, 0, 0, 0) + ins(0x02, 0, 0, 0) + ins(0x61, 0, 0, 0) + ins(0x07, 0, 0, 0) +
            ins(0x03, 0, 0, 1) + ins(0x60, 0, 0, 1) + ins(0x80, 0, 0, 0) + ins(0x81, 0, 0, 0) +
            ins(0x00, 0, 0, 7) + ins(0x01, 0, 0, 2) + alu + ins(0x87, 0, 0, 0) +
            ins(0x15, 0, 1, 7) + ins(0x05, 0, 0, 0) + ins(0x25, 0, 0, 1) + ins(0x35, 0, 0, 1) +
            ins(0x45, 0, 0, 1) + ins(0x1d, 0, 0, 0) + ins(0x2d, 0, 0, 0) + ins(0x3d, 0, 0, 0) +
            ins(0x4d, 0, 0, 0) + ins(0x16, 0, 0, 0) + ins(0x06, 0, 0, 0x7fff0000))
    put("bpf", "every-opcode", b"\x01" + data(1, 0xc000003e, [1, 2, 3, 4, 5, 6]) + prog)


def seed_bpf_diff():
    put("bpf_diff", "x86_64-mixed", bytes([0, 6, 0x10, 12, 0, 0, 1, 0x03, 4, 2, 0x41, 0x12, 0x34] + list(range(64))))
    put("bpf_diff", "aarch64-masked", bytes([3, 2, 0x20, 1, 0, 1, 0xff, 3, 6, 5, 0x41] + [0xf0] * 40 + list(range(40))))
    put("bpf_diff", "unconditional", bytes([0, 5, 8, 1, 0, 0, 0, 2, 0, 0, 3, 1, 0, 4]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mvmc", default=os.path.join(ROOT, "build", "bin", "mvmc"))
    args = ap.parse_args()
    for t in glob.glob(os.path.join(CORPUS, "*")):
        shutil.rmtree(t)
    seed_profiles()
    seed_import()
    seed_dsse(args.mvmc)
    seed_audit()
    seed_nonce()
    seed_toml()
    seed_dns()
    seed_bpf(args.mvmc)
    seed_bpf_diff()


if __name__ == "__main__":
    main()
