# Runs the field's own validators for a checkout inside the harness's host image (Debian with systemd
# and Docker Compose v2, as on the VPS), with no network and no daemon: `docker compose config`,
# `systemd-analyze verify`, `systemd-analyze security --offline`, `systemd-analyze calendar`.
# Reads a JSON plan on stdin, prints one JSON object with every tool's exit code and output.
# The checkout is mounted read-only at /src; what the tools need is copied to the stack's root, so
# paths in their messages are the host's, and missing env files get stand-ins as a test host has
# them (made from their examples; their absence is reported apart).
import json
import os
import shutil
import subprocess
import sys

plan = json.load(sys.stdin)
root = plan["root"]
UNIT_DIRS = ["/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system"]


def run(args, env=None):
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=plan.get("cwd") or root)
    return {"rc": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def host_units():
    names = set()
    for folder in UNIT_DIRS:
        if os.path.isdir(folder):
            names.update(os.listdir(folder))
    return sorted(names)


result = {"hostUnits": host_units()}
result["users"] = sorted(line.split(":")[0] for line in open("/etc/passwd") if ":" in line)

for rel in plan["copy"]:
    source, target = os.path.join("/src", rel), os.path.join(root, rel)
    if os.path.isfile(source):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target)
for stand_in in plan["standIns"]:
    target = os.path.join(root, stand_in["file"])
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as made:
        made.write(stand_in["text"])
os.makedirs(root, exist_ok=True)

if plan["compose"] is not None:
    result["compose"] = run(["docker", "compose", *plan["compose"], "--profile", "*", "config", "--format", "json"])

# Units go where the runbook installs them; drop-ins into <unit>.d/.
for unit in plan["units"]:
    for index, rel in enumerate(unit["files"]):
        folder = "/etc/systemd/system" if index == 0 else f"/etc/systemd/system/{unit['name']}.d"
        os.makedirs(folder, exist_ok=True)
        name = unit["name"] if index == 0 else os.path.basename(rel)
        shutil.copy2(os.path.join("/src", rel), os.path.join(folder, name))
names = [unit["name"] for unit in plan["units"]]
if names:
    result["verify"] = run(["systemd-analyze", "verify", "--no-pager", *names])
    result["security"] = {
        name: run(["systemd-analyze", "security", "--offline=true", "--no-pager", name])
        for name in names
        if name.endswith(".service")
    }
utc = dict(os.environ, TZ="UTC")
result["calendars"] = {
    spec: run(["systemd-analyze", "calendar", "--iterations=2", spec], env=utc) for spec in plan["calendars"]
}
json.dump(result, sys.stdout)
