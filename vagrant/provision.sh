#!/usr/bin/env bash
# Provisions a host for the Sattva Streamer exactly as production is laid out, on every target
# (the container host, the Vagrant VM, a staging host). Idempotent: a second run changes nothing, and
# every step prints "ok:" (nothing to do) or "changed:" (what it changed).
#
#   provision.sh STACK_SRC
#
# STACK_SRC   a checkout of the deployment (the bundled fixtures/stacks/bundled, or the user's own), already on
#             this host; it is synced to /opt/sattva-streamer.
# Environment (all optional; the defaults are the runbook's layout, which the bundled stack follows):
#   SATTVA_ROOT        where the stack lives (default /opt/sattva-streamer, as the units expect)
#   SATTVA_UNITS_DIR   unit files, relative to STACK_SRC (default systemd)
#   SATTVA_UNIT_FILES  the unit files to install, relative to STACK_SRC (default: every unit in SATTVA_UNITS_DIR)
#   SATTVA_ENABLE      units to enable (default sattva-backend.service sattva-streamer.service yt-dlp-update.timer)
#   SATTVA_TIMER       the update timer to start ("" for none; default yt-dlp-update.timer)
#   SATTVA_VENVS       "VENV:REQUIREMENTS ..." relative to the root: one venv per service, built from its
#                      requirements (default backend/venv:backend/requirements.txt streamer/venv:streamer/requirements.txt)
#   SATTVA_USERS       service users the units run as, created as system users when missing
#   SATTVA_ENV_FILES   a directory of env files (paths relative to the root) to install where the stack
#                      has none: the checkout's examples with test values, made by the harness
#   SATTVA_COMPOSE_DIR the main compose file's folder, relative to the root (default .)
#   SATTVA_IMAGES      a file of "LOCAL_REF COMPOSE_IMAGE" lines: images already in this host's engine
#                      (loaded by the harness, no registry) to tag with the names the compose file uses
#   SATTVA_BUILDS      a file of "IMAGE CONTEXT DOCKERFILE" lines (relative to the root; the Dockerfile
#                      relative to its context): compose services built here, from bases SATTVA_IMAGES
#                      tagged, so nothing is pulled; rebuilt only when their context changes. Those that
#                      fail are listed, "IMAGE WHY", in SATTVA_BUILDS.failed
#   SATTVA_UNAVAILABLE compose services with no image on this host (Grafana offline): a compose
#                      override puts them behind a profile, so `docker compose up -d` leaves them out
#   SATTVA_TEST_DOUBLES a directory of test doubles (fixtures/test-doubles) to install in
#                      /opt/sattva-chaos and run as units, beside the stack (test hosts only)
#   PIP_INDEX_URL / PIP_FIND_LINKS   passed to pip as usual
set -euo pipefail

src=${1:?usage: provision.sh STACK_SRC}
root=${SATTVA_ROOT:-/opt/sattva-streamer}
units_dir="$src/${SATTVA_UNITS_DIR:-systemd}"
compose_dir=${SATTVA_COMPOSE_DIR:-.}
venvs=${SATTVA_VENVS-backend/venv:backend/requirements.txt streamer/venv:streamer/requirements.txt}
enable=${SATTVA_ENABLE-sattva-backend.service sattva-streamer.service yt-dlp-update.timer}
timer=${SATTVA_TIMER-yt-dlp-update.timer}
[ -d "$src" ] || { echo "provision: stack directory $src does not exist" >&2; exit 3; }
if [ -n "${SATTVA_UNIT_FILES+set}" ]; then
  unit_files=()
  for unit in $SATTVA_UNIT_FILES; do unit_files+=("$src/$unit"); done
else
  [ -d "$units_dir" ] || { echo "provision: unit directory $units_dir does not exist" >&2; exit 3; }
  unit_files=("$units_dir"/*.service "$units_dir"/*.timer)
fi

ok() { echo "ok: $*"; }
changed() { echo "changed: $*"; }
# In a venv pip could not build: why, for the harness to report its unit as unable to run here.
UNBUILT=.sattva-chaos-unbuilt

# Compose v2 (container names proj-svc-1, as the runbook uses them): Ubuntu packages it as
# docker-compose-v2; Debian 12 has only v1, so it comes from the next release, pinned low.
install_compose_v2() {
  . /etc/os-release
  if [ "$ID" != debian ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose-v2 >/dev/null
    return
  fi
  mirror=$(grep -rhoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | tr -d ' ')
  echo "deb ${mirror:-http://deb.debian.org/debian} trixie main" > /etc/apt/sources.list.d/sattva-trixie.list
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/sattva-trixie
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose/trixie >/dev/null
  rm -f /etc/apt/sources.list.d/sattva-trixie.list /etc/apt/preferences.d/sattva-trixie
  apt-get update -qq
}

# 1. Packages the deployment needs on the host.
need=()
command -v docker >/dev/null || need+=(docker.io)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
for tool in lsof curl rsync; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -eq 0 ]; then
  ok "packages"
else
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  changed "packages: installed ${need[*]}"
fi
if docker compose version >/dev/null 2>&1; then
  ok "docker compose v2"
else
  install_compose_v2
  changed "docker compose v2 installed"
fi
systemctl is-active --quiet docker || { systemctl enable --now docker >/dev/null 2>&1; changed "docker started"; }

# 2. The stack, synced to where the units expect it (venvs are built here, never copied; env files made
#    for a test host and the harness's compose override are kept).
mkdir -p "$root"
override="$root/$compose_dir/docker-compose.override.yml"
if [ -n "${SATTVA_UNAVAILABLE:-}" ] && [ -e "$src/$compose_dir/docker-compose.override.yml" ]; then
  echo "provision: $src/$compose_dir has its own docker-compose.override.yml; cannot mark ${SATTVA_UNAVAILABLE} unavailable" >&2
  exit 3
fi
override_in_root=$([ "$compose_dir" = . ] && echo docker-compose.override.yml || echo "$compose_dir/docker-compose.override.yml")
keep=(--filter "P /$override_in_root")
for pair in $venvs; do keep+=(--exclude "/${pair%%:*}/"); done
if [ -n "${SATTVA_ENV_FILES:-}" ]; then
  while IFS= read -r file; do keep+=(--filter "P /$file"); done < <(cd "$SATTVA_ENV_FILES" && find . -type f -printf '%P\n')
fi
# Files are compared by content; times are not kept (a fresh copy of the checkout, or one carried over
# SSH, has new ones: a time alone is no change to deploy).
# Python's bytecode caches are written by the services as they run, not deployed: left alone.
synced=$(rsync -a --no-times --omit-dir-times --checksum --delete --itemize-changes --exclude '__pycache__/' "${keep[@]}" "$src/" "$root/")
if [ -z "$synced" ]; then ok "stack files in $root"; else changed "stack files in $root: $(echo "$synced" | wc -l) item(s)"; echo "$synced" | sed 's/^/  /'; fi

# Env files the deployment reads and the checkout lacks: made from its examples, never overwritten.
if [ -n "${SATTVA_ENV_FILES:-}" ]; then
  while IFS= read -r file; do
    if [ -e "$root/$file" ]; then ok "env file $file"; else install -D -m 0600 "$SATTVA_ENV_FILES/$file" "$root/$file"; changed "env file $file (test values)"; fi
  done < <(cd "$SATTVA_ENV_FILES" && find . -type f -printf '%P\n')
fi

# Services with no image here are kept out of `docker compose up` (and reported skipped by the harness).
if [ -n "${SATTVA_UNAVAILABLE:-}" ]; then
  wanted=$(printf '# Written by sattva-chaos provisioning: no image for these services on this host.\nservices:\n'
    for service in $SATTVA_UNAVAILABLE; do printf '  %s:\n    profiles: ["unavailable-offline"]\n' "$service"; done)
  if [ "$(cat "$override" 2>/dev/null)" = "$wanted" ]; then ok "compose override"; else echo "$wanted" > "$override"; changed "compose override: $SATTVA_UNAVAILABLE unavailable"; fi
elif [ ! -e "$src/$compose_dir/docker-compose.override.yml" ] && [ -e "$override" ]; then
  rm -f "$override"
  changed "compose override removed"
fi

# 3. The service users the units run as (a host set up as the runbook says has none).
for user in ${SATTVA_USERS:-}; do
  if id -u "$user" >/dev/null 2>&1; then ok "user $user"; else useradd --system --no-create-home --shell /usr/sbin/nologin "$user"; changed "user $user created"; fi
done

# 4. One venv per service, rebuilt only when its requirements change. They are built side by side
#    (pip mostly waits on unpacking and compiling); each one's lines are printed in order once all are done.
build_venv() {
  local pair=$1 venv="$root/${1%%:*}" requirements=${1#*:} want
  if [ -z "$requirements" ]; then echo "skipped: ${pair%%:*}: no requirements to build it from"; return; fi
  want=$(sha256sum "$root/$requirements" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
    ok "venv ${pair%%:*}"
    return
  fi
  # --clear: a venv built from other requirements (a template's) keeps no package these do not name.
  python3 -m venv --clear "$venv"
  local said
  if ! said=$("$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/$requirements" 2>&1); then
    # A checkout's pins this host's Python cannot install (no wheel, no compiler) are a finding, not a
    # broken harness: the rest of the stack is still tested, and the unit on this venv is reported as
    # unable to run here with pip's own words (its last error lines, kept in the venv).
    printf '%s\n' "$said" > "$venv/$UNBUILT.log"
    { grep -E -i 'error|failed' "$venv/$UNBUILT.log" || true; } | tail -n 3 | cut -c1-300 > "$venv/$UNBUILT"
    [ -s "$venv/$UNBUILT" ] || tail -n 3 "$venv/$UNBUILT.log" | cut -c1-300 > "$venv/$UNBUILT"
    return 0
  fi
  [ -z "$said" ] || printf '%s\n' "$said"
  echo "$want" > "$venv/.requirements.sha256"
  changed "venv ${pair%%:*}: installed $requirements"
}
unbuilt() { [ -f "$root/${1%%:*}/$UNBUILT" ]; }
venv_logs=$(mktemp -d)
venv_jobs=()
index=0
for pair in $venvs; do
  index=$((index + 1))
  build_venv "$pair" > "$venv_logs/$index" 2>&1 &
  venv_jobs+=($!)
done
venv_failed=0
for job in "${venv_jobs[@]}"; do wait "$job" || venv_failed=1; done
for ((i = 1; i <= index; i++)); do cat "$venv_logs/$i"; done
rm -rf "$venv_logs"
[ $venv_failed = 0 ] || { echo "provision: building a venv failed (its pip output is above)" >&2; exit 1; }
# A package built from source (no wheel for this Python) needs what a VPS has once someone built one
# there: a compiler, Python's and libpq's headers. Installed only then, and each such venv tried again.
if ! command -v gcc >/dev/null; then
  retry=()
  for pair in $venvs; do
    if unbuilt "$pair" && grep -q -i -E 'gcc|Python\.h|pg_config|error: command|building wheel|subprocess-exited-with-error' "$root/${pair%%:*}/$UNBUILT.log"; then
      retry+=("$pair")
    fi
  done
  # Without a package mirror they cannot be had: the venvs stay unbuilt, and say why below.
  if [ ${#retry[@]} -gt 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends build-essential python3-dev libpq-dev libffi-dev libssl-dev pkg-config >/dev/null; then
    changed "packages: build tools (a compiler, Python's and libpq's headers) for ${retry[*]%%:*}"
    for pair in "${retry[@]}"; do build_venv "$pair"; done
  fi
fi
for pair in $venvs; do
  unbuilt "$pair" || continue
  echo "skipped: venv ${pair%%:*}: pip install -r ${pair#*:} failed on $(python3 --version): $(tail -n 1 "$root/${pair%%:*}/$UNBUILT")"
done

# 5. Units and the timer, installed as written only when they differ; the services enabled (started at
#    boot), but not started here: the start order is the runbook's business.
reload=no
for unit in "${unit_files[@]}"; do
  [ -e "$unit" ] || continue
  target="/etc/systemd/system/$(basename "$unit")"
  if cmp -s "$unit" "$target"; then continue; fi
  install -m 0644 "$unit" "$target"
  changed "unit $(basename "$unit")"
  reload=yes
done
if [ $reload = yes ]; then systemctl daemon-reload; else ok "units"; fi
for unit in $enable; do
  state=$(systemctl is-enabled "$unit" 2>/dev/null || true)
  case "$state" in
    enabled) ok "$unit enabled" ;;
    static) echo "skipped: $unit cannot be enabled (static: it has no [Install] section)" ;;
    "") echo "skipped: $unit cannot be enabled (no such unit)" ;;
    *)
      systemctl enable --quiet "$unit" 2>/dev/null || true
      if [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ]; then changed "$unit enabled"; else echo "skipped: $unit cannot be enabled ($state)"; fi
      ;;
  esac
done
if [ -n "$timer" ]; then
  if systemctl is-active --quiet "$timer"; then ok "timer $timer active"; else systemctl start "$timer"; changed "timer $timer started"; fi
fi

# 6. Images: tag what the harness loaded with the names the compose file uses.
if [ -n "${SATTVA_IMAGES:-}" ]; then
  while read -r local_ref compose_image; do
    [ -n "$local_ref" ] || continue
    id=$(docker image inspect --format '{{.Id}}' "$local_ref")
    if [ "$(docker image inspect --format '{{.Id}}' "$compose_image" 2>/dev/null)" = "$id" ]; then
      ok "image $compose_image"
    else
      docker tag "$local_ref" "$compose_image"
      changed "image $compose_image -> $local_ref"
    fi
  done < "$SATTVA_IMAGES"
fi

# Compose services the checkout builds: built here as `docker compose up` would, from the bases tagged
# above. A build that fails (a step that needs the network offline) is reported, not fatal: the
# harness skips the service, naming why.
if [ -n "${SATTVA_BUILDS:-}" ]; then
  : > "$SATTVA_BUILDS.failed"
  # A test host's containers reach nothing beyond it (step 7), but a build's steps fetch from registries.
  no_egress=/opt/sattva-chaos/no-egress.sh
  if [ -e "$no_egress" ]; then sh "$no_egress" off; fi
  while read -r image context dockerfile; do
    [ -n "$image" ] || continue
    source_hash=$( (cd "$root/$context" && find . -type f ! -path '*/__pycache__/*' -print0 | LC_ALL=C sort -z | xargs -0r sha256sum; echo "$dockerfile") | sha256sum | cut -c1-16)
    if [ "$(docker image inspect --format '{{index .Config.Labels "sattva-chaos.source"}}' "$image" 2>/dev/null)" = "$source_hash" ]; then
      ok "image $image built from $context"
    elif out=$(docker build -q --label "sattva-chaos.source=$source_hash" -t "$image" -f "$root/$context/$dockerfile" "$root/$context" 2>&1); then
      changed "image $image built from $context"
    else
      docker image rm -f "$image" >/dev/null 2>&1 || true
      why="its build from $context failed offline: $(echo "$out" | grep -v '^\s*$' | tail -n 2 | tr '\n' ' ')"
      echo "$image $why" >> "$SATTVA_BUILDS.failed"
      echo "failed: image $image: $why"
    fi
  done < "$SATTVA_BUILDS"
  if [ -e "$no_egress" ] && systemctl is-active --quiet sattva-chaos-egress.service; then sh "$no_egress" on; fi
fi

# 7. Test doubles (media source, alert receiver), on test hosts only.
if [ -n "${SATTVA_TEST_DOUBLES:-}" ]; then
  mkdir -p /opt/sattva-chaos
  # pypi/ is the local index's content, written by scenarios, not part of the doubles' files.
  doubles=$(rsync -a --no-times --omit-dir-times --checksum --delete --itemize-changes --exclude '*.service' --exclude 'README.md' \
    --exclude '/pypi/' "$SATTVA_TEST_DOUBLES/" /opt/sattva-chaos/)
  if [ -z "$doubles" ]; then ok "test doubles"; else changed "test doubles in /opt/sattva-chaos"; fi
  for unit in "$SATTVA_TEST_DOUBLES"/*.service; do
    name=$(basename "$unit")
    fresh=no
    if ! cmp -s "$unit" "/etc/systemd/system/$name"; then
      install -m 0644 "$unit" "/etc/systemd/system/$name"
      systemctl daemon-reload
      fresh=yes
    fi
    if [ $fresh = no ] && [ -z "$doubles" ] && systemctl is-enabled --quiet "$name" && systemctl is-active --quiet "$name"; then
      ok "$name running"
    else
      systemctl enable --quiet "$name"
      systemctl restart "$name"
      changed "$name (re)started"
    fi
  done
fi
