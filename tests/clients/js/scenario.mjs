// AWS SDK for JavaScript v3 (default settings: CRC32 checksums, aws-chunked bodies) against an ObjStore endpoint:
// PutObject, GetObject, HeadObject, Upload from @aws-sdk/lib-storage (multipart), ListObjectsV2, DeleteObject.
// Versioning: PutBucketVersioning, version ids from PutObject and a multipart Upload, ListObjectVersions (order,
// IsLatest, MaxKeys paging by KeyMarker/VersionIdMarker), GetObject with VersionId, DeleteObject with and without
// VersionId (delete markers).
// Prints one "ok"/"FAIL" line per step and exits non-zero when any failed.
import { createHash, randomBytes } from "node:crypto";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  DeleteObjectCommand, DeleteBucketCommand, GetBucketVersioningCommand, ListObjectVersionsCommand,
  PutBucketVersioningCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey },
});
const bucket = "js-bucket";
const small = randomBytes(70_000);
const large = randomBytes(17 * 1024 * 1024 + 11);
const sha = (bytes) => createHash("sha256").update(bytes).digest("hex");
let failures = 0;

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   js-sdk ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL js-sdk ${name}: ${e?.name ?? ""} ${e?.message ?? e}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function bodyBytes(response) {
  return Buffer.from(await response.Body.transformToByteArray());
}

await step("CreateBucket", () => s3.send(new CreateBucketCommand({ Bucket: bucket })));
await step("PutObject", () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: "dir/small ü.bin", Body: small, ContentType: "application/x-js" })));
await step("GetObject", async () => {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/small ü.bin" }));
  assert(response.ContentType === "application/x-js", `content type ${response.ContentType}`);
  assert(sha(await bodyBytes(response)) === sha(small), "bytes differ");
});
await step("GetObject Range", async () => {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/small ü.bin", Range: "bytes=100-199" }));
  assert((await bodyBytes(response)).equals(small.subarray(100, 200)), "range bytes differ");
});
await step("Upload (lib-storage, multipart)", async () => {
  const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: "big.bin", Body: large }, partSize: 5 * 1024 * 1024, queueSize: 3 });
  await upload.done();
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "big.bin" }));
  assert(head.ETag.endsWith('-4"'), `ETag ${head.ETag}`);
  assert(head.ContentLength === large.length, `length ${head.ContentLength}`);
});
await step("GetObject multipart object", async () => {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big.bin" }));
  assert(sha(await bodyBytes(response)) === sha(large), "bytes differ");
});
await step("ListObjectsV2", async () => {
  const response = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const keys = (response.Contents ?? []).map((o) => o.Key);
  assert(JSON.stringify(keys) === JSON.stringify(["big.bin", "dir/small ü.bin"]), `keys ${keys}`);
});
await step("GetBucketVersioning + ListObjectVersions (never versioned)", async () => {
  const versioning = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
  assert(versioning.Status === undefined, `status ${versioning.Status}`);
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "dir/" }));
  assert(listed.Versions?.length === 1 && listed.Versions[0].VersionId === "null" && listed.Versions[0].IsLatest === true,
    JSON.stringify(listed.Versions));
});
await step("DeleteObject + DeleteBucket", async () => {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "big.bin" }));
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "dir/small ü.bin" }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
});

// --- versioning
const vbucket = "js-versions";
const contents = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
const ids = [];
const versionId = /^[0-9a-f]{32}$/;
const entries = (listed) => [
  ...(listed.Versions ?? []).map((v) => `V ${v.Key} ${v.VersionId} ${v.IsLatest}`),
  ...(listed.DeleteMarkers ?? []).map((m) => `M ${m.Key} ${m.VersionId} ${m.IsLatest}`),
];
const same = (actual, expected) =>
  assert(JSON.stringify(actual) === JSON.stringify(expected), `got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
async function refusedWith(name, status, command) {
  try {
    await s3.send(command);
  } catch (e) {
    assert(e.name === name && e.$metadata?.httpStatusCode === status, `${e.name} ${e.$metadata?.httpStatusCode}, expected ${name} ${status}`);
    return;
  }
  throw new Error(`succeeded, expected ${name}`);
}

await step("PutBucketVersioning Enabled", async () => {
  await s3.send(new CreateBucketCommand({ Bucket: vbucket }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: vbucket, VersioningConfiguration: { Status: "Enabled" } }));
  same((await s3.send(new GetBucketVersioningCommand({ Bucket: vbucket }))).Status, "Enabled");
});
await step("PutObject x3: three distinct VersionIds", async () => {
  for (const body of contents) {
    const put = await s3.send(new PutObjectCommand({ Bucket: vbucket, Key: "doc.bin", Body: body }));
    assert(versionId.test(put.VersionId ?? ""), `VersionId ${put.VersionId}`);
    ids.push(put.VersionId);
  }
  assert(new Set(ids).size === 3, `ids ${ids}`);
});
await step("ListObjectVersions: newest first, only the newest IsLatest", async () => {
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: vbucket, Prefix: "doc.bin" }));
  same(entries(listed), [`V doc.bin ${ids[2]} true`, `V doc.bin ${ids[1]} false`, `V doc.bin ${ids[0]} false`]);
});
await step("GetObject VersionId: each version's bytes", async () => {
  for (const [i, id] of ids.entries()) {
    const response = await s3.send(new GetObjectCommand({ Bucket: vbucket, Key: "doc.bin", VersionId: id }));
    assert(response.VersionId === id, `VersionId ${response.VersionId}`);
    assert((await bodyBytes(response)).equals(contents[i]), `bytes of version ${i} differ`);
  }
});
let marker;
await step("DeleteObject without VersionId: a delete marker, then NoSuchKey", async () => {
  const deleted = await s3.send(new DeleteObjectCommand({ Bucket: vbucket, Key: "doc.bin" }));
  assert(deleted.DeleteMarker === true && versionId.test(deleted.VersionId ?? "") && !ids.includes(deleted.VersionId), JSON.stringify(deleted));
  marker = deleted.VersionId;
  await refusedWith("NoSuchKey", 404, new GetObjectCommand({ Bucket: vbucket, Key: "doc.bin" }));
  await refusedWith("NotFound", 404, new HeadObjectCommand({ Bucket: vbucket, Key: "doc.bin" }));
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: vbucket, Prefix: "doc.bin" }));
  same(entries(listed), [`V doc.bin ${ids[2]} false`, `V doc.bin ${ids[1]} false`, `V doc.bin ${ids[0]} false`, `M doc.bin ${marker} true`]);
});
await step("DeleteObject VersionId of the marker: the object is back", async () => {
  const deleted = await s3.send(new DeleteObjectCommand({ Bucket: vbucket, Key: "doc.bin", VersionId: marker }));
  assert(deleted.DeleteMarker === true && deleted.VersionId === marker, JSON.stringify(deleted));
  const response = await s3.send(new GetObjectCommand({ Bucket: vbucket, Key: "doc.bin" }));
  assert(response.VersionId === ids[2] && (await bodyBytes(response)).equals(contents[2]), "not the newest version");
});
await step("DeleteObject VersionId of a version: gone for good", async () => {
  const deleted = await s3.send(new DeleteObjectCommand({ Bucket: vbucket, Key: "doc.bin", VersionId: ids[1] }));
  assert(deleted.VersionId === ids[1] && deleted.DeleteMarker === undefined, JSON.stringify(deleted));
  await refusedWith("NoSuchVersion", 404, new GetObjectCommand({ Bucket: vbucket, Key: "doc.bin", VersionId: ids[1] }));
  const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: vbucket, Prefix: "doc.bin" }));
  same(entries(listed), [`V doc.bin ${ids[2]} true`, `V doc.bin ${ids[0]} false`]);
});
await step("Upload (multipart) in a versioned bucket: a VersionId, readable by it", async () => {
  const first = await new Upload({ client: s3, params: { Bucket: vbucket, Key: "big.bin", Body: large }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done();
  await s3.send(new PutObjectCommand({ Bucket: vbucket, Key: "big.bin", Body: small }));
  assert(versionId.test(first.VersionId ?? ""), `VersionId ${first.VersionId}`);
  const response = await s3.send(new GetObjectCommand({ Bucket: vbucket, Key: "big.bin", VersionId: first.VersionId }));
  assert(sha(await bodyBytes(response)) === sha(large), "bytes differ");
});
await step("ListObjectVersions MaxKeys 2 with KeyMarker/VersionIdMarker equals one listing", async () => {
  for (let round = 0; round < 3; round++) {
    for (const key of ["p/a", "p/b", "p/c"]) await s3.send(new PutObjectCommand({ Bucket: vbucket, Key: key, Body: `${key} ${round}` }));
  }
  await s3.send(new DeleteObjectCommand({ Bucket: vbucket, Key: "p/b" }));
  const whole = entries(await s3.send(new ListObjectVersionsCommand({ Bucket: vbucket, Prefix: "p/" })));
  assert(whole.length === 10, `${whole.length} entries`);
  const paged = { V: [], M: [] };
  let KeyMarker, VersionIdMarker, pages = 0;
  for (;;) {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: vbucket, Prefix: "p/", MaxKeys: 2, KeyMarker, VersionIdMarker }));
    const got = entries(page);
    assert(got.length <= 2 && page.MaxKeys === 2, `page of ${got.length}, MaxKeys ${page.MaxKeys}`);
    for (const entry of got) paged[entry[0]].push(entry);
    if (++pages > 10) throw new Error("no end after 10 pages");
    if (!page.IsTruncated) break;
    ({ NextKeyMarker: KeyMarker, NextVersionIdMarker: VersionIdMarker } = page);
  }
  assert(pages === 5, `${pages} pages`);
  same([...paged.V, ...paged.M], whole);
});
process.exit(failures ? 1 : 0);
