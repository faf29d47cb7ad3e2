#!/usr/bin/env bash
# Validates docker-compose.yml the only way CI can (no Docker engine runs
# here): `docker compose config -q`, which parses the file, resolves
# anchors, variables and references (networks, volumes, secrets, depends_on)
# and fails on any schema error. Installs a Compose implementation if none
# is present:
#   1. `docker compose` (the v2 CLI plugin) if it already works;
#   2. `docker-compose` if already installed;
#   3. otherwise from Debian/Ubuntu packages, first match of
#      docker-compose-plugin (Docker's repository), docker-compose-v2
#      (Ubuntu), docker-compose (Debian bookworm: 1.29.2);
#   4. COMPOSE_FROM_SOURCE=1 builds Compose v2 with `go install` through the
#      Go module proxy into the tools cache instead (slow: many minutes).
# Then it also checks that the file names no inline secret.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${POLICYD_TOOLS_DIR:-$HOME/.cache/policyd-tools}"
COMPOSE_V2_VERSION=v2.29.7

compose=()
find_compose() {
  if docker compose version >/dev/null 2>&1; then compose=(docker compose); return 0; fi
  if [ -x "$TOOLS/compose-$COMPOSE_V2_VERSION/docker-compose" ]; then
    compose=("$TOOLS/compose-$COMPOSE_V2_VERSION/docker-compose"); return 0
  fi
  if command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose); return 0; fi
  return 1
}

install_compose() {
  if [ "${COMPOSE_FROM_SOURCE:-0}" = 1 ]; then
    echo "check-compose: building Compose $COMPOSE_V2_VERSION (go install)" >&2
    mkdir -p "$TOOLS/compose-$COMPOSE_V2_VERSION"
    GOBIN="$TOOLS/compose-$COMPOSE_V2_VERSION" GOFLAGS=-buildvcs=false \
      go install "github.com/docker/compose/v2/cmd@$COMPOSE_V2_VERSION"
    mv "$TOOLS/compose-$COMPOSE_V2_VERSION/cmd" "$TOOLS/compose-$COMPOSE_V2_VERSION/docker-compose"
    return
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  echo "check-compose: installing Compose from Debian packages" >&2
  $sudo apt-get update -qq
  for pkg in docker-compose-plugin docker-compose-v2 docker-compose; do
    # Read the whole answer first: `apt-cache policy | grep -q` under
    # pipefail reports 141 (grep closes the pipe early), so no package
    # would ever be found.
    local policy
    policy=$(apt-cache policy "$pkg" 2>/dev/null || true)
    if grep -q 'Candidate: [0-9]' <<<"$policy"; then
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$pkg" >/dev/null
      return
    fi
  done
  echo "check-compose: no Compose package available; retry with COMPOSE_FROM_SOURCE=1" >&2
  exit 1
}

if ! find_compose; then
  install_compose
  find_compose || { echo "check-compose: Compose still not found after install" >&2; exit 1; }
fi
echo "check-compose: using ${compose[*]} ($("${compose[@]}" version 2>/dev/null | head -1))"

# The secret files are not in the repository: `config` does not read them.
"${compose[@]}" -f docker-compose.yml config -q
echo "check-compose: docker-compose.yml is valid"

# Compose v1 resolves but does not cross-check references at `config`
# time; v2 does. Check them here on the resolved file so both agree:
# every network, volume, secret and depends_on a service names is defined,
# every service has a healthcheck or is only depended on without one.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
  "${compose[@]}" -f docker-compose.yml config | python3 -c '
import sys, yaml
c = yaml.safe_load(sys.stdin)
errs = []
top = {k: set((c.get(k) or {}).keys()) for k in ("networks", "volumes", "secrets")}
services = c.get("services") or {}
for name, s in services.items():
    nets = s.get("networks") or {}
    for n in (nets if isinstance(nets, list) else nets.keys()):
        if n not in top["networks"]: errs.append(f"{name}: undefined network {n}")
    for v in s.get("volumes") or []:
        src = v.get("source") if isinstance(v, dict) else v.split(":")[0]
        vtype = v.get("type") if isinstance(v, dict) else ("bind" if src.startswith((".", "/")) else "volume")
        if vtype == "volume" and src not in top["volumes"]: errs.append(f"{name}: undefined volume {src}")
    for sec in s.get("secrets") or []:
        src = sec.get("source") if isinstance(sec, dict) else sec
        if src not in top["secrets"]: errs.append(f"{name}: undefined secret {src}")
    deps = s.get("depends_on") or {}
    for d, cond in (deps.items() if isinstance(deps, dict) else ((d, {}) for d in deps)):
        if d not in services: errs.append(f"{name}: depends on undefined service {d}")
        elif (cond or {}).get("condition") == "service_healthy" and "healthcheck" not in services[d]:
            errs.append(f"{name}: waits for {d} to be healthy but {d} has no healthcheck")
for e in errs: print("check-compose:", e, file=sys.stderr)
sys.exit(1 if errs else 0)
'
  echo "check-compose: references (networks, volumes, secrets, depends_on) resolve"
fi

# No inline secrets: passwords and keys come from files only.
if grep -nEi '(pass(word)?|secret|private_?key|token)[[:space:]]*[:=][[:space:]]*["'"'"']?[A-Za-z0-9+/]{8,}' docker-compose.yml deploy/*.json deploy/*.yml \
    | grep -vE '_file|/run/secrets/|file:' ; then
  echo "check-compose: inline secret-looking value above" >&2; exit 1
fi
echo "check-compose: no inline secrets"
