#!/usr/bin/env bash
# Installs (or upgrades, or removes) edgeclaw as a systemd service from an unpacked release tarball.
# Idempotent: running it again with the same release changes nothing; with a newer release it switches
# /opt/edgeclaw/current to it and restarts the service. The data dir and env file are never overwritten.
#
#   sudo ./systemd/install.sh                 install or upgrade this release, enable and start the service
#   sudo ./systemd/install.sh --uninstall     stop and remove the service and /opt/edgeclaw (data kept)
#   sudo ./systemd/install.sh --uninstall --purge   also remove /var/lib/edgeclaw, /etc/edgeclaw and the user
#   sudo ./systemd/install.sh --prefix DIR    as root: files go under DIR; the user and chown are real
#   ./systemd/install.sh --dry-run --prefix /tmp/x  as non-root: files go under /tmp/x, and the commands that
#                                                   need root (useradd, chown, systemctl) are printed, not run
#   --user NAME   service user (default edgeclaw; written into the installed unit)   --no-start  enable only
# systemctl runs only when systemd is running (/run/systemd/system); otherwise the skipped steps are printed.
# Exit codes: 0 done, 1 a step failed, 2 usage error (bad flags, not root without --dry-run).
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

PREFIX=""
DRY_RUN=0
UNINSTALL=0
PURGE=0
NO_START=0
SERVICE_USER=edgeclaw
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; PREFIX="${2%/}"; shift 2 ;;
    --prefix=*) PREFIX="${1#--prefix=}"; PREFIX="${PREFIX%/}"; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    --no-start) NO_START=1; shift ;;
    --user) [ $# -ge 2 ] || { echo "install.sh: --user needs a name" >&2; exit 2; }; SERVICE_USER="$2"; shift 2 ;;
    --user=*) SERVICE_USER="${1#--user=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown flag $1" >&2; usage >&2; exit 2 ;;
  esac
done
if ! printf '%s' "$SERVICE_USER" | grep -Eq '^[a-z_][a-z0-9_-]{0,30}$'; then echo "install.sh: --user: expected a user name like edgeclaw ([a-z_][a-z0-9_-]*, at most 31 characters)" >&2; exit 2; fi
if [ "$PURGE" = 1 ] && [ "$UNINSTALL" = 0 ]; then echo "install.sh: --purge only goes with --uninstall" >&2; exit 2; fi
if [ "$DRY_RUN" = 1 ] && [ -z "$PREFIX" ]; then echo "install.sh: --dry-run needs --prefix DIR (files are still written, under DIR)" >&2; exit 2; fi
if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo), or try it with --dry-run --prefix DIR" >&2
  exit 2
fi

OPT="$PREFIX/opt/edgeclaw"
DATA="$PREFIX/var/lib/edgeclaw"
ETC="$PREFIX/etc/edgeclaw"
UNIT="$PREFIX/etc/systemd/system/edgeclaw.service"
LINK="$PREFIX/usr/local/bin/edgeclaw"
SRC="$(cd -- "$(dirname -- "$(readlink -f -- "$0")")/.." && pwd)"

say() { printf 'edgeclaw install: %s\n' "$*"; }
# Commands that need root: printed under --dry-run, run otherwise.
privileged() {
  if [ "$DRY_RUN" = 1 ]; then printf 'edgeclaw install: would run: %s\n' "$*"; else "$@"; fi
}
# systemctl: printed under --dry-run; skipped (and said so) when systemd is not PID 1, e.g. in a container.
service() {
  if [ "$DRY_RUN" = 1 ]; then printf 'edgeclaw install: would run: systemctl %s\n' "$*"
  elif [ -d /run/systemd/system ]; then systemctl "$@"
  else printf 'edgeclaw install: skipped (systemd is not running): systemctl %s\n' "$*"; fi
}

if [ "$UNINSTALL" = 1 ]; then
  if [ -e "$UNIT" ]; then
    service disable --now edgeclaw.service
    rm -f -- "$UNIT"
    service daemon-reload
    say "service removed"
  fi
  if [ -L "$LINK" ]; then rm -f -- "$LINK"; fi
  rm -rf -- "$OPT"
  say "removed $OPT"
  if [ "$PURGE" = 1 ]; then
    rm -rf -- "$DATA" "$ETC"
    say "purged $DATA and $ETC"
    if getent passwd "$SERVICE_USER" >/dev/null; then
      privileged userdel "$SERVICE_USER"
      [ "$DRY_RUN" = 1 ] || say "removed user $SERVICE_USER"
    fi
  else
    say "kept $DATA and $ETC (use --uninstall --purge to remove them)"
  fi
  exit 0
fi

[ -f "$SRC/VERSION" ] && [ -x "$SRC/bin/edgeclaw" ] && [ -x "$SRC/node/bin/node" ] || {
  echo "install.sh: $SRC is not an unpacked edgeclaw release (VERSION, bin/edgeclaw, node/bin/node)" >&2
  exit 2
}
VERSION="$(cat "$SRC/VERSION")"
case "$VERSION" in *[!0-9A-Za-z.-]*|'') echo "install.sh: bad VERSION \"$VERSION\"" >&2; exit 2 ;; esac

# 1. The service user (system account, no login shell, home = data dir).
if getent passwd "$SERVICE_USER" >/dev/null; then
  say "user $SERVICE_USER exists"
else
  privileged useradd --system --user-group --home-dir /var/lib/edgeclaw --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
  [ "$DRY_RUN" = 1 ] || say "created user $SERVICE_USER"
fi

# 2. The release under /opt/edgeclaw/<version>, copied beside and renamed into place (never half-copied).
mkdir -p -- "$OPT"
TARGET="$OPT/$VERSION"
if [ "$SRC" = "$TARGET" ]; then
  say "$TARGET is this release"
elif [ -d "$TARGET" ] && diff -rq -- "$SRC" "$TARGET" >/dev/null 2>&1; then
  say "$TARGET already installed"
else
  rm -rf -- "$OPT/.$VERSION.tmp"
  cp -a -- "$SRC" "$OPT/.$VERSION.tmp"
  rm -rf -- "$TARGET"
  mv -T -- "$OPT/.$VERSION.tmp" "$TARGET"
  say "installed $TARGET"
fi
PREVIOUS="$(readlink -- "$OPT/current" 2>/dev/null || true)"
ln -sfn -- "$VERSION" "$OPT/.current.tmp"
mv -T -- "$OPT/.current.tmp" "$OPT/current"
mkdir -p -- "$(dirname -- "$LINK")"
ln -sfn -- /opt/edgeclaw/current/bin/edgeclaw "$LINK"

# 3. Data dir (0700, owned by the service user) and the env file (0600, root; never overwritten).
mkdir -p -- "$DATA"
chmod 0700 -- "$DATA"
privileged chown "$SERVICE_USER:$SERVICE_USER" "$DATA"
mkdir -p -- "$ETC"
chmod 0755 -- "$ETC"
if [ ! -e "$ETC/edgeclaw.env" ]; then
  (umask 077 && cat >"$ETC/edgeclaw.env" <<'ENV'
# edgeclaw environment (read by systemd as root; keep it 0600). One NAME=value per line.
# Settings: see README, Configuration. The config file is /var/lib/edgeclaw/edgeclaw.json5
# (write it with: sudo -u edgeclaw edgeclaw setup --data-dir /var/lib/edgeclaw ...).
#PORT=18789
#HOST=127.0.0.1
#EDGECLAW_LOG_LEVEL=info
#OPENAI_API_KEY=
#TELEGRAM_BOT_TOKEN=
ENV
  )
  say "wrote $ETC/edgeclaw.env (0600)"
fi
chmod 0600 -- "$ETC/edgeclaw.env"

# 4. The unit, then systemd.
mkdir -p -- "$(dirname -- "$UNIT")"
# The shipped unit, with the service user put in (a no-op for the default user).
sed -e "s/^User=edgeclaw\$/User=$SERVICE_USER/" -e "s/^Group=edgeclaw\$/Group=$SERVICE_USER/" -- "$SRC/systemd/edgeclaw.service" >"$UNIT.tmp"
if [ -f "$UNIT" ] && cmp -s -- "$UNIT.tmp" "$UNIT"; then
  rm -f -- "$UNIT.tmp"
  say "unit unchanged"
else
  chmod 0644 -- "$UNIT.tmp"
  mv -f -- "$UNIT.tmp" "$UNIT"
  say "installed $UNIT"
fi
service daemon-reload
if [ "$NO_START" = 1 ]; then
  service enable edgeclaw.service
else
  service enable --now edgeclaw.service
  # An upgrade switched `current`: restart onto the new release.
  if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "$VERSION" ]; then service restart edgeclaw.service; fi
fi
say "edgeclaw $VERSION installed (current -> $VERSION)"
