#!/usr/bin/env bash
# Regenerates fixtures/demo/ (the USB stick used by `npm run demo`) with the openssl CLI only.
# Test-only keys: everything here is public and must never be trusted by a real device.
# Usage: bash scripts/make-demo-fixtures.sh   (from the repository root; overwrites fixtures/demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=fixtures/demo
SERIAL=SN-DEMO-0001
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

rm -rf "$OUT/pki" "$OUT/usb"
mkdir -p "$OUT/pki" "$OUT/usb/EN9" "$OUT/usb/images"

ec() { echo -newkey ec -pkeyopt ec_paramgen_curve:prime256v1; }
ca() { # name subject
  openssl req -x509 $(ec) -nodes -keyout "$WORK/$1.key" -out "$WORK/$1.crt" -days 36500 -sha256 -subj "$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -addext subjectKeyIdentifier=hash 2>/dev/null
}
leaf() { # name issuer subject ext...
  local name=$1 issuer=$2 subject=$3; shift 3
  openssl req $(ec) -nodes -keyout "$WORK/$name.key" -out "$WORK/$name.csr" -subj "$subject" 2>/dev/null
  printf '%s\n' subjectKeyIdentifier=hash authorityKeyIdentifier=keyid "$@" > "$WORK/$name.ext"
  openssl x509 -req -in "$WORK/$name.csr" -CA "$WORK/$issuer.crt" -CAkey "$WORK/$issuer.key" -CAcreateserial \
    -out "$WORK/$name.crt" -days 36500 -sha256 -extfile "$WORK/$name.ext" 2>/dev/null
}
b64() { base64 -w0 "$1"; }

# Manufacturer PKI: a MASA CA (the voucher trust anchor) with the MASA signer, and a separate device CA
# with the IDevID (the voucher trust anchor must not issue device identities); owner PKI (pinned-domain CA, owner EE).
ca masa-ca /CN=Demo-MASA-CA
leaf masa masa-ca /CN=Demo-MASA basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature
ca manufacturer-ca /CN=Demo-Manufacturer-CA
leaf idevid manufacturer-ca "/CN=demo-router/serialNumber=$SERIAL" basicConstraints=critical,CA:FALSE \
  keyUsage=critical,digitalSignature,keyAgreement extendedKeyUsage=clientAuth
ca owner-ca /CN=Demo-Owner-CA
leaf owner owner-ca /CN=Demo-Owner basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature

# Onboarding content: a boot image (os-version 2.0; the simulated router starts at 1.0), scripts, configuration.
printf 'SIMULATED-IMAGE os-name=SimOS os-version=2.0\nThis stands in for a router software image.\n' > "$OUT/usb/images/simos-2.0.bin"
IMAGE_HASH=$(openssl dgst -sha256 -r "$OUT/usb/images/simos-2.0.bin" | cut -d' ' -f1 | sed 's/../&:/g; s/:$//')
cat > "$WORK/pre.sh" <<'SH'
#!/bin/sh
# Pre-configuration script: runs before the configuration commit.
echo "pre-configuration script: running-config $( [ -f "$SZTP_ROUTER_ROOT/running-config" ] && echo present || echo absent )"
date -u +"%Y-%m-%dT%H:%M:%SZ pre-configuration script ran" >> "$SZTP_ROUTER_ROOT/scripts.log"
SH
cat > "$WORK/post.sh" <<'SH'
#!/bin/sh
# Post-configuration script: runs after the commit; exit 80..99 would be a warning, other non-zero an error.
echo "post-configuration script: $(wc -l < "$SZTP_ROUTER_ROOT/running-config") configuration lines active"
date -u +"%Y-%m-%dT%H:%M:%SZ post-configuration script ran" >> "$SZTP_ROUTER_ROOT/scripts.log"
SH
cat > "$WORK/config.txt" <<'CFG'
hostname demo-router
!
interface Mgmt0
 ipv4 address 192.0.2.10/24
!
ztp secure-mode disable
CFG

cat > "$WORK/ci.json" <<JSON
{"ietf-sztp-conveyed-info:onboarding-information":{
 "boot-image":{"os-name":"SimOS","os-version":"2.0",
  "download-uri":["file:///disk2:/images/simos-2.0.bin","file:///disk3:/images/simos-2.0.bin"],
  "image-verification":[{"hash-algorithm":"ietf-sztp-conveyed-info:sha-256","hash-value":"$IMAGE_HASH"}]},
 "configuration-handling":"replace",
 "pre-configuration-script":"$(b64 "$WORK/pre.sh")",
 "configuration":"$(b64 "$WORK/config.txt")",
 "post-configuration-script":"$(b64 "$WORK/post.sh")"}}
JSON
cat > "$WORK/ov.json" <<JSON
{"ietf-voucher:voucher":{"created-on":"2024-01-01T00:00:00Z","assertion":"verified","serial-number":"$SERIAL",
 "pinned-domain-cert":"$(openssl x509 -in "$WORK/owner-ca.crt" -outform DER | base64 -w0)"}}
JSON

# The three artifacts (RFC 8572 §3), seed layout EN9/.
openssl cms -sign -binary -nodetach -in "$WORK/ov.json" -signer "$WORK/masa.crt" -inkey "$WORK/masa.key" \
  -certfile "$WORK/masa-ca.crt" -econtent_type 1.2.840.113549.1.9.16.1.40 -outform DER -out "$OUT/usb/EN9/ownership-voucher.vcj"
openssl crl2pkcs7 -nocrl -certfile "$WORK/owner.crt" -certfile "$WORK/owner-ca.crt" -outform DER -out "$OUT/usb/EN9/owner-certificate.cms"
openssl cms -sign -binary -nodetach -nocerts -in "$WORK/ci.json" -signer "$WORK/owner.crt" -inkey "$WORK/owner.key" \
  -econtent_type 1.2.840.113549.1.9.16.1.43 -outform DER -out "$OUT/usb/EN9/conveyed-information.cms"

# What the device needs: the voucher trust anchor and its IDevID (test-only key).
cp "$WORK/masa-ca.crt" "$OUT/pki/masa-ca.crt"
cp "$WORK/idevid.crt" "$OUT/pki/idevid.crt"
cp "$WORK/idevid.key" "$OUT/pki/idevid.key"
mkdir -p "$OUT/onboarding"
cp "$WORK/pre.sh" "$OUT/onboarding/pre-configuration-script.sh"
cp "$WORK/post.sh" "$OUT/onboarding/post-configuration-script.sh"
cp "$WORK/config.txt" "$OUT/onboarding/configuration.txt"
echo "$SERIAL" > "$OUT/serial-number"
echo "fixtures/demo regenerated (serial $SERIAL)"
