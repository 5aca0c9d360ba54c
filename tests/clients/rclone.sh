#!/usr/bin/env bash
# rclone (an s3 remote, provider Other) against a fresh `objstore dev`: copy (with a file above a lowered multipart
# cutoff), check (0 differences), lsf -R, sync with deletions, delete, purge.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
command -v rclone >/dev/null || { echo "rclone not installed"; failed=1; finish; exit 1; }

export RCLONE_CONFIG="$WORK/rclone.conf"
cat >"$RCLONE_CONFIG" <<CONF
[obj]
type = s3
provider = Other
access_key_id = $ACCESS_KEY
secret_access_key = $SECRET_KEY
endpoint = $ENDPOINT
region = us-east-1
# Multipart from 8 MiB in 5 MiB chunks, so a 21 MiB file goes up in 5 parts.
upload_cutoff = 8Mi
chunk_size = 5Mi
CONF
# rclone honours AWS_CA_BUNDLE even for http endpoints; an unrelated one in the environment breaks it.
R=(env -u AWS_CA_BUNDLE rclone --config "$RCLONE_CONFIG" --retries 1 --low-level-retries 1)

src="$WORK/src"
mkdir -p "$src/docs/deep/er" "$src/ünï code" "$src/big"
for f in docs/a.txt docs/deep/b.txt docs/deep/er/c.txt "ünï code/ファイル.txt" top.txt; do random_file "$src/$f" $((RANDOM % 9000 + 1)); done
random_file "$src/big/large.bin" $((21 * 1024 * 1024 + 3))
: >"$src/empty.txt"

check "rclone mkdir" "${R[@]}" mkdir obj:rc-bucket
check "rclone copy" "${R[@]}" copy "$src" obj:rc-bucket/data
check "rclone check: 0 differences" "${R[@]}" check "$src" obj:rc-bucket/data
check "rclone check --download (every byte)" "${R[@]}" check --download "$src" obj:rc-bucket/data
listing() {
  "${R[@]}" lsf -R --files-only obj:rc-bucket/data | sort >"$WORK/remote.txt" &&
  (cd "$src" && find . -type f | sed 's|^\./||' | sort) >"$WORK/local.txt" && diff "$WORK/local.txt" "$WORK/remote.txt"
}
check "rclone lsf -R matches the tree" listing
rm -rf "$WORK/back"
check "rclone copy down" "${R[@]}" copy obj:rc-bucket/data "$WORK/back"
check "downloaded tree identical" diff -r "$src" "$WORK/back"

rm "$src/docs/deep/b.txt" "$src/top.txt"
random_file "$src/docs/new.txt" 777
check "rclone sync with deletions" "${R[@]}" sync "$src" obj:rc-bucket/data
synced() { ! "${R[@]}" lsf -R obj:rc-bucket/data | has -E '^(top.txt|docs/deep/b.txt)$' && "${R[@]}" lsf -R obj:rc-bucket/data | has '^docs/new.txt$'; }
check "deleted files gone, new file there" synced
check "rclone check after sync" "${R[@]}" check "$src" obj:rc-bucket/data
check "rclone delete" "${R[@]}" delete obj:rc-bucket/data/docs
no_docs() { [ -z "$("${R[@]}" lsf -R --files-only obj:rc-bucket/data/docs)" ]; }
check "delete removed the files" no_docs
check "rclone purge" "${R[@]}" purge obj:rc-bucket
bucket_gone() { ! "${R[@]}" lsd obj: | has rc-bucket; }
check "purge removed the bucket" bucket_gone
finish
