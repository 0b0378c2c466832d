#!/usr/bin/env bash
# Install the Debian packages the portal needs when they are missing: slapd and ldap-utils (the
# private directory), Postfix and Dovecot with their LDAP lookups (the private mail servers), the
# headers python-ldap builds against, a compiler and Python's venv.
# Pass "browser" to include Chromium and fonts for the browser tests, "bench" to include ApacheBench
# (`ab`, apache2-utils: the doors' throughput benchmark of `make bench`), "samba" (or set
# DIRECTORY=samba) to include Debian's Samba AD DC and openssl (the directory of `DIRECTORY=samba
# make run` and of `pytest --directory=samba`).
set -euo pipefail

need=()
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapwhoami >/dev/null 2>&1 || need+=(ldap-utils)
mail=()
[ -x /usr/sbin/postfix ] || mail+=(postfix)
[ -f /usr/lib/postfix/postfix-ldap.so ] || mail+=(postfix-ldap)
[ -f /usr/lib/dovecot/imap ] || mail+=(dovecot-imapd)
[ -f /usr/lib/dovecot/lmtp ] || mail+=(dovecot-lmtpd)
[ -f /usr/lib/dovecot/modules/auth/libauthdb_ldap.so ] || mail+=(dovecot-ldap)
need+=("${mail[@]}")
[ -f /usr/include/ldap.h ] || need+=(libldap2-dev)
[ -f /usr/include/sasl/sasl.h ] || need+=(libsasl2-dev)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
command -v make >/dev/null 2>&1 || need+=(make)
PY=${PYTHON:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
  need+=(python3 python3-venv python3-dev)
else
  "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
  inc=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$inc/Python.h" ] || need+=(python3-dev)
fi
if [ "${1:-}" = "samba" ] || [ "${DIRECTORY:-}" = "samba" ]; then
  [ -x /usr/sbin/samba ] || need+=(samba)
  [ -d /usr/share/samba/setup/ad-schema ] || need+=(samba-ad-provision)
  [ -d /usr/lib/x86_64-linux-gnu/samba/ldb ] || [ -d /usr/lib/aarch64-linux-gnu/samba/ldb ] || need+=(samba-dsdb-modules)
  # provisioning sets the sysvol's ACLs through the acl_xattr VFS module (a Recommends of samba)
  [ -f /usr/lib/x86_64-linux-gnu/samba/vfs/acl_xattr.so ] || [ -f /usr/lib/aarch64-linux-gnu/samba/vfs/acl_xattr.so ] || need+=(samba-vfs-modules)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  command -v unshare >/dev/null 2>&1 || need+=(util-linux)
fi
if [ "${1:-}" = "bench" ]; then
  command -v ab >/dev/null 2>&1 || need+=(apache2-utils)
fi
if [ "${1:-}" = "browser" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "Run as root or install sudo to install: ${need[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Postfix's own questions: "No configuration" leaves no system-wide main.cf, so no system
  # Postfix takes port 25; the portal runs private instances with their own configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ ${#mail[@]} -gt 0 ]; then
    # The packages may have started system-wide daemons (ports 25, 143, 993); the portal needs
    # none of them: stop them and keep them from starting at boot.
    for svc in postfix dovecot; do
      if [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
      else
        $SUDO service "$svc" stop >/dev/null 2>&1 || true
        $SUDO update-rc.d "$svc" disable >/dev/null 2>&1 || true
      fi
    done
  fi
fi
