#!/usr/bin/env bash
# aws-cli against a fresh `objstore dev`: Debian's awscli (2.x, /usr/bin/aws) and, when present, a pip-installed one
# (1.x sends CRC trailers). mb; cp of 1 KiB and 100 MiB (multipart) both ways; sync of a tree with nested prefixes and
# unicode names, twice (the second transfers nothing); ls --recursive; s3api multipart by hand; put-object with a
# CRC32 checksum; presign + curl; rm --recursive. Every downloaded byte is compared.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
# awscli 1.x presigns with SigV2 unless told otherwise; this scenario tests SigV4 (sigv2.sh tests the default).
printf '[default]\ns3 =\n    signature_version = s3v4\n' >"$WORK/aws-config"
export AWS_CONFIG_FILE="$WORK/aws-config"

random_file "$WORK/small.bin" 1024
random_file "$WORK/large.bin" $((100 * 1024 * 1024))
random_file "$WORK/part1.bin" $((5 * 1024 * 1024))
random_file "$WORK/part2.bin" 12345
tree="$WORK/tree"
mkdir -p "$tree/a/b/c" "$tree/ünïcödé/日本語" "$tree/with space"
for f in a/1.txt a/b/2.txt a/b/c/3.txt "ünïcödé/ß.txt" "ünïcödé/日本語/ファイル.txt" "with space/x y.txt" top.txt; do
  random_file "$tree/$f" $((RANDOM % 5000 + 1))
done
# Older than any object the sync writes, so size + time say "unchanged" on the second run.
find "$tree" -type f -exec touch -d '2020-01-01' {} +

clients=()
[ -x /usr/bin/aws ] && clients+=("/usr/bin/aws")
command -v aws >/dev/null && [ "$(command -v aws)" != /usr/bin/aws ] && clients+=("$(command -v aws)")
[ ${#clients[@]} -gt 0 ] || { echo "no aws cli found"; failed=$((failed + 1)); }

for aws in "${clients[@]}"; do
  v=$("$aws" --version 2>&1 | cut -d' ' -f1)
  A=("$aws" --endpoint-url "$ENDPOINT")
  b="cli-$RANDOM-$RANDOM"
  check "$v s3 mb" "${A[@]}" s3 mb "s3://$b"
  check "$v s3 cp 1 KiB up" "${A[@]}" s3 cp --no-progress "$WORK/small.bin" "s3://$b/dir/small.bin"
  check "$v s3 cp 100 MiB up (multipart)" "${A[@]}" s3 cp --no-progress "$WORK/large.bin" "s3://$b/dir/sub/large file.bin"
  check "$v s3 cp 1 KiB down" "${A[@]}" s3 cp --no-progress "s3://$b/dir/small.bin" "$WORK/small.back"
  check "$v 1 KiB bytes" cmp "$WORK/small.bin" "$WORK/small.back"
  check "$v s3 cp 100 MiB down" "${A[@]}" s3 cp --no-progress "s3://$b/dir/sub/large file.bin" "$WORK/large.back"
  check "$v 100 MiB bytes" cmp "$WORK/large.bin" "$WORK/large.back"
  multipart_etag() { "${A[@]}" s3api head-object --bucket "$b" --key "dir/sub/large file.bin" --query ETag --output text | grep -Eq -- '-[0-9]+"?$'; }
  check "$v 100 MiB object has a multipart ETag" multipart_etag

  check "$v s3 sync up" "${A[@]}" s3 sync --no-progress "$tree" "s3://$b/tree"
  second_sync_idle() { local out; out=$("${A[@]}" s3 sync --no-progress "$tree" "s3://$b/tree") && [ -z "$out" ]; }
  check "$v s3 sync again transfers nothing" second_sync_idle
  rm -rf "$WORK/tree.back"
  check "$v s3 sync down" "${A[@]}" s3 sync --no-progress "s3://$b/tree" "$WORK/tree.back"
  check "$v synced tree identical" diff -r "$tree" "$WORK/tree.back"
  listed() { local out; out=$("${A[@]}" s3 ls --recursive "s3://$b") &&
    grep -q 'dir/sub/large file.bin' <<<"$out" && grep -q 'tree/ünïcödé/日本語/ファイル.txt' <<<"$out" &&
    [ "$(grep -c . <<<"$out")" -eq 9 ]; }
  check "$v s3 ls --recursive" listed

  by_hand() {
    local id etag1 etag2
    id=$("${A[@]}" s3api create-multipart-upload --bucket "$b" --key manual --content-type text/x-test --query UploadId --output text) || return 1
    etag1=$("${A[@]}" s3api upload-part --bucket "$b" --key manual --upload-id "$id" --part-number 1 --body "$WORK/part1.bin" --query ETag --output text) || return 1
    etag2=$("${A[@]}" s3api upload-part --bucket "$b" --key manual --upload-id "$id" --part-number 2 --body "$WORK/part2.bin" --query ETag --output text) || return 1
    [ "$("${A[@]}" s3api list-parts --bucket "$b" --key manual --upload-id "$id" --query 'length(Parts)' --output text)" = 2 ] || return 1
    "${A[@]}" s3api list-multipart-uploads --bucket "$b" --query 'Uploads[].UploadId' --output text | has "$id" || return 1
    printf '{"Parts":[{"PartNumber":1,"ETag":%s},{"PartNumber":2,"ETag":%s}]}' "$etag1" "$etag2" >"$WORK/parts.json"
    "${A[@]}" s3api complete-multipart-upload --bucket "$b" --key manual --upload-id "$id" --multipart-upload "file://$WORK/parts.json" || return 1
    "${A[@]}" s3api get-object --bucket "$b" --key manual "$WORK/manual.back" >"$WORK/manual.json" || return 1
    grep -q '"ETag": "\\"[0-9a-f]*-2\\""' "$WORK/manual.json" && grep -q 'text/x-test' "$WORK/manual.json" || return 1
    cat "$WORK/part1.bin" "$WORK/part2.bin" | cmp - "$WORK/manual.back" || return 1
    # An aborted upload is gone from the listing.
    id=$("${A[@]}" s3api create-multipart-upload --bucket "$b" --key aborted --query UploadId --output text) || return 1
    "${A[@]}" s3api upload-part --bucket "$b" --key aborted --upload-id "$id" --part-number 1 --body "$WORK/part2.bin" >/dev/null || return 1
    "${A[@]}" s3api abort-multipart-upload --bucket "$b" --key aborted --upload-id "$id" || return 1
    ! "${A[@]}" s3api list-multipart-uploads --bucket "$b" --output text | has "$id"
  }
  check "$v s3api multipart by hand" by_hand

  check "$v put-object CRC32" "${A[@]}" s3api put-object --bucket "$b" --key crc --body "$WORK/small.bin" --checksum-algorithm CRC32
  check "$v get-object crc" "${A[@]}" s3api get-object --bucket "$b" --key crc "$WORK/crc.back"
  check "$v crc bytes" cmp "$WORK/small.bin" "$WORK/crc.back"
  tagging() {
    "${A[@]}" s3api put-object --bucket "$b" --key tagged --body "$WORK/small.bin" --tagging 'team=blue&tier=1' >/dev/null || return 1
    "${A[@]}" s3api get-object-tagging --bucket "$b" --key tagged --output text | has -E 'TAGSET[[:space:]]+team[[:space:]]+blue' || return 1
    "${A[@]}" s3api put-object-tagging --bucket "$b" --key tagged --tagging 'TagSet=[{Key=only,Value=one}]' || return 1
    [ "$("${A[@]}" s3api get-object-tagging --bucket "$b" --key tagged --query 'TagSet[].Key' --output text)" = only ] || return 1
    "${A[@]}" s3api delete-object-tagging --bucket "$b" --key tagged || return 1
    [ "$("${A[@]}" s3api get-object-tagging --bucket "$b" --key tagged --query 'length(TagSet)' --output text)" = 0 ]
  }
  check "$v object tagging: put-object --tagging, get/put/delete-object-tagging" tagging
  attributes() {
    local out
    out=$("${A[@]}" s3api get-object-attributes --bucket "$b" --key crc --object-attributes ETag ObjectSize StorageClass Checksum --output json) || return 1
    echo "$out"
    [ "$(echo "$out" | jq -r .ObjectSize)" = 1024 ] && [ "$(echo "$out" | jq -r .StorageClass)" = STANDARD ] \
      && [ "$(echo "$out" | jq -r .Checksum.ChecksumCRC32)" = "$("${A[@]}" s3api head-object --bucket "$b" --key crc --checksum-mode ENABLED --query ChecksumCRC32 --output text)" ]
  }
  check "$v get-object-attributes: ETag, ObjectSize, StorageClass, Checksum" attributes
  url=$("${A[@]}" s3 presign "s3://$b/dir/small.bin" --expires-in 300)
  check "$v presign + curl" curl -fsS -o "$WORK/presigned.back" "$url"
  check "$v presigned bytes" cmp "$WORK/small.bin" "$WORK/presigned.back"
  rm -rf "$WORK"/*.back
  check "$v s3 rm --recursive" "${A[@]}" s3 rm --recursive "s3://$b"
  empty() { local out; out=$("${A[@]}" s3 ls --recursive "s3://$b") && [ -z "$out" ]; }
  check "$v bucket empty" empty
  check "$v s3 rb" "${A[@]}" s3 rb "s3://$b"
done
finish
