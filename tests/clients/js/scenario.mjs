// AWS SDK for JavaScript v3 (default settings: CRC32 checksums, aws-chunked bodies) against an ObjStore endpoint:
// PutObject, GetObject, HeadObject, Upload from @aws-sdk/lib-storage (multipart), ListObjectsV2, DeleteObject.
// Prints one "ok"/"FAIL" line per step and exits non-zero when any failed.
import { createHash, randomBytes } from "node:crypto";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  DeleteObjectCommand, DeleteBucketCommand, GetBucketVersioningCommand, ListObjectVersionsCommand,
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
process.exit(failures ? 1 : 0);
