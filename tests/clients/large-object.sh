#!/usr/bin/env bash
# One large object through aws-cli multipart against a fresh `objstore dev`: upload, download, SHA-256 end to end,
# and the gateway's peak resident memory (VmHWM), which must stay under LIMIT_MIB whatever the size. Prints the
# throughput of both directions next to `cp` of the same file on the same disk.
#   tests/clients/large-object.sh              300 MiB (what CI runs)
#   SIZE_MIB=6144 tests/clients/large-object.sh  the 6 GiB run (needs ~20 GiB free under TMPDIR)
source "$(dirname "$0")/common.bash"
size_mib=${SIZE_MIB:-300}
limit_mib=${LIMIT_MIB:-500}
aws=/usr/bin/aws
[ -x "$aws" ] || aws=$(command -v aws) || { echo "aws cli not installed"; failed=1; finish; exit 1; }
start_server || { finish; exit 1; }
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
A=("$aws" --endpoint-url "$ENDPOINT")

# Random data without paying /dev/urandom's price per byte: AES-CTR keystream.
openssl enc -aes-128-ctr -pass pass:objstore -nosalt -pbkdf2 </dev/zero 2>/dev/null | head -c $((size_mib * 1024 * 1024)) >"$WORK/object.bin"
expected=$(sha256sum "$WORK/object.bin" | cut -d' ' -f1)
seconds() { local start=$1; echo "$(date +%s.%N) - $start" | bc; }
rate() { echo "scale=1; $size_mib / $1" | bc; }

check "mb" "${A[@]}" s3 mb s3://large
start=$(date +%s.%N)
check "upload ${size_mib} MiB (multipart)" "${A[@]}" s3 cp --no-progress "$WORK/object.bin" s3://large/object.bin
up=$(seconds "$start")
start=$(date +%s.%N)
check "download ${size_mib} MiB" "${A[@]}" s3 cp --no-progress s3://large/object.bin "$WORK/object.back"
down=$(seconds "$start")
same_sha() { [ "$(sha256sum "$WORK/object.back" | cut -d' ' -f1)" = "$expected" ]; }
check "SHA-256 end to end" same_sha
peak_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
peak_mib=$((peak_kib / 1024))
under_limit() { [ "$peak_mib" -lt "$limit_mib" ]; }
check "gateway peak RSS ${peak_mib} MiB < ${limit_mib} MiB" under_limit
rm -f "$WORK/object.back"
start=$(date +%s.%N)
cp "$WORK/object.bin" "$WORK/object.copy" && sync
copy=$(seconds "$start")
check "rm" "${A[@]}" s3 rm s3://large/object.bin
echo "size ${size_mib} MiB: upload $(rate "$up") MiB/s, download $(rate "$down") MiB/s, cp+sync $(rate "$copy") MiB/s; gateway VmHWM ${peak_mib} MiB"
finish
