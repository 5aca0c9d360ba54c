#!/usr/bin/env bash
# The SQLite catalogue alone, two builds against each other: W writers commit 4 KiB objects' rows (synchronous=FULL,
# as the server does) for S seconds into a fresh catalogue on this disk; commits per second, builds alternating, REPS
# runs each, medians and the ratio AFTER / BEFORE. BEFORE and AFTER are build output folders (holding objstore.dll and
# the catalogue's DLLs, e.g. a copy of the base commit's). A small harness is compiled against each folder's DLLs, in
# a temporary folder outside the repository, and run on that folder's dependencies. For group commit: at one writer
# nothing batches; at 32 the writes that queue behind a commit share the next.
#   tests/perf/catalogue-commits.sh /tmp/base-bin src/ObjStore/bin/Release/net10.0
#   REPS=5 SECONDS_PER_RUN=5 WRITERS="1 32" tests/perf/catalogue-commits.sh /tmp/base-bin src/ObjStore/bin/Release/net10.0
set -uo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-5}
writers=${WRITERS:-"1 32"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/harness"
cat >"$work/harness/harness.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <Reference Include="ObjStore.Core" HintPath="$(Bin)/ObjStore.Core.dll" Private="false" />
    <Reference Include="ObjStore.Metadata" HintPath="$(Bin)/ObjStore.Metadata.dll" Private="false" />
    <Reference Include="ObjStore.Metadata.Sqlite" HintPath="$(Bin)/ObjStore.Metadata.Sqlite.dll" Private="false" />
  </ItemGroup>
</Project>
EOF
cat >"$work/harness/Program.cs" <<'EOF'
using System.Diagnostics;
using ObjStore.Core;
using ObjStore.Metadata.Sqlite;

string dir = args[0];
int writers = int.Parse(args[1]);
double seconds = double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
using var catalogue = new SqliteCatalogue(Path.Combine(dir, "catalogue.db"), TimeProvider.System, synchronousFull: true);
await catalogue.Buckets.CreateAsync("b", DateTimeOffset.UtcNow);
long next = 0, done = 0;
long start = Stopwatch.GetTimestamp(), deadline = start + (long)(seconds * Stopwatch.Frequency);
await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
{
    while (Stopwatch.GetTimestamp() < deadline)
    {
        long i = Interlocked.Increment(ref next);
        const string ETag = "0123456789abcdef0123456789abcdef";
        var layout = new ObjectLayout(4, 2, 1 << 20, $"data{i:D9}", ["s0", "s1", "s2", "s3", "s4", "s5"]);
        await catalogue.Objects.CommitAsync(new ObjectInfo
        {
            Bucket = "b", Key = $"k/{i:D9}", Size = 4096, ETag = ETag, LastModified = DateTimeOffset.UtcNow, Metadata = ObjectMetadata.Default,
            Parts = [new ObjectPart(1, 0, 4096, ETag, null, layout) { LastModified = DateTimeOffset.UtcNow }],
        }, null, false);
        Interlocked.Increment(ref done);
    }
})));
Console.WriteLine((done / Stopwatch.GetElapsedTime(start).TotalSeconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture));
EOF

for build in before after; do
  # The build's own folder with the harness beside its DLLs, run on the build's dependency file (SQLite's native library).
  cp -r "${!build}" "$work/$build"
  dotnet build "$work/harness" -c Release -nologo -v q -p:Bin="${!build}" -o "$work/harness-$build" >/dev/null || { echo "harness build failed against ${!build}" >&2; exit 1; }
  cp "$work/harness-$build/harness.dll" "$work/$build/"
  rm -rf "$work/harness/obj" "$work/harness/bin"
done

run() { # build writers -> commits/s
  local data; data=$(mktemp -d "$work/data-XXXX")
  dotnet exec --depsfile "$work/$1/objstore.deps.json" --runtimeconfig "$work/$1/objstore.runtimeconfig.json" \
    "$work/$1/harness.dll" "$data" "$2" "$seconds" || echo 0
  rm -rf "$data"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "| writers | before commits/s (runs) | after commits/s (runs) | after / before |"
echo "|---:|---:|---:|---:|"
for w in $writers; do
  : >"$work/before.txt"; : >"$work/after.txt"
  for _ in $(seq "$reps"); do
    for build in before after; do run "$build" "$w" >>"$work/$build.txt"; done
  done
  b=$(median <"$work/before.txt"); a=$(median <"$work/after.txt")
  printf '| %s | %.0f (%s) | %.0f (%s) | %s |\n' "$w" "$b" "$(xargs printf '%.0f ' <"$work/before.txt" | sed 's/ $//')" \
    "$a" "$(xargs printf '%.0f ' <"$work/after.txt" | sed 's/ $//')" "$(python3 -c "print(f'{$a / $b:.2f}' if $b > 0 else '-')")"
done
echo
echo "medians of $reps alternating runs of ${seconds}s each, synchronous=FULL; $(nproc) cores; $(date -u +%Y-%m-%d)"
