#!/usr/bin/env bash
# Issue 15's budget: PUT and GET in a bucket with versioning enabled within 10% of an unversioned bucket, on the same
# `objstore dev`, driven by `objstore bench s3`, alternating the two buckets REPS times per case (medians, ratio).
# Both buckets keep what the runs write (--keep), so they hold the same number of objects and shard files and
# differ only in versioning (without it, the unversioned bucket would be emptied between runs and the versioned one
# would keep every version and gain a delete marker per key).
#   tests/perf/versioning.sh
#   REPS=5 SECONDS_PER_RUN=8 CASES="put:4KiB:8" tests/perf/versioning.sh
set -uo pipefail
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-4}
cases=${CASES:-"put:4KiB:1 get:4KiB:1 put:4KiB:16 get:4KiB:16 put:1MiB:4 get:1MiB:4"}
source "$(dirname "$0")/dev-server.bash"

target_args() {
  args=(--endpoint "$endpoint" --access-key perf --secret-key perf-secret-key --keep)
  case $1 in
    unversioned) bucket=perf-unversioned ;;
    versioned) bucket=perf-versioned; args+=(--versioning) ;;
  esac
}
source "$(dirname "$0")/common.bash"
compare unversioned versioned "unversioned" "versioned"
