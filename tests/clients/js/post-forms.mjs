// Browser-style POST Object uploads, with the forms made by real clients: createPresignedPost from
// @aws-sdk/s3-presigned-post (Conditions content-length-range and starts-with $key, Fields) and presignedPostPolicy
// from minio (PostPolicy setBucket, setKey/setKeyStartsWith, setContentLengthRange, setExpires). Each form is POSTed as
// multipart/form-data with Node's fetch + FormData + Blob, as a page would, and the object is read back by a root
// S3Client and compared byte for byte. Refusals: a file over the range is 400 EntityTooLarge, a key outside starts-with
// is 403 AccessDenied, an expired policy is 403 AccessDenied, a policy edited after signing or signed with a wrong
// secret is 403 SignatureDoesNotMatch, and a form signed by a user whose policy does not cover the key is 403
// AccessDenied; none of them stores anything.
// Arguments: ENDPOINT ACCESS_KEY SECRET_KEY BUCKET USER_KEY USER_SECRET (the user may write BUCKET/posts/ only).
// Prints one "ok"/"FAIL" line per step and exits non-zero when any failed.
import { randomBytes } from "node:crypto";
import { S3Client, CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import * as Minio from "minio";

const [endpoint, accessKeyId, secretAccessKey, bucket, userKey, userSecret] = process.argv.slice(2);
const sdk = (id, secret) => new S3Client({
  endpoint, region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: id, secretAccessKey: secret },
});
const s3 = sdk(accessKeyId, secretAccessKey);
const url = new URL(endpoint);
const minio = new Minio.Client({
  endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: accessKeyId, secretKey: secretAccessKey,
  region: "us-east-1", pathStyle: true,
});
let failures = 0;

async function step(name, fn) {
  try {
    await fn();
    console.log(`ok   post ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL post ${name}: ${e?.name ?? ""} ${e?.message ?? e}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** POSTs the fields, then the file last (S3 ignores fields after it), as multipart/form-data. */
async function post(target, fields, bytes, fileName = "upload.bin") {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new Blob([bytes], { type: "application/octet-stream" }), fileName);
  const response = await fetch(target, { method: "POST", body: form, redirect: "manual" });
  const text = await response.text();
  return { status: response.status, text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] };
}

function expectStatus(result, status, code) {
  assert(result.status === status && (code === undefined || result.code === code),
    `got ${result.status} ${result.code ?? ""}, expected ${status} ${code ?? ""}: ${result.text.slice(0, 400)}`);
}

async function objectBytes(key) {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { bytes: Buffer.from(await response.Body.transformToByteArray()), contentType: response.ContentType };
}

async function assertStored(key, bytes) {
  const got = await objectBytes(key);
  assert(Buffer.compare(got.bytes, bytes) === 0, `bytes differ: ${got.bytes.length} vs ${bytes.length}`);
  return got;
}

async function assertAbsent(key) {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    if (e?.$metadata?.httpStatusCode === 404) return;
    throw e;
  }
  throw new Error(`${key} exists`);
}

/** The policy field decoded, changed by edit, encoded again: the signature no longer covers it. */
function forged(fields, edit) {
  const policy = JSON.parse(Buffer.from(fields.policy ?? fields.Policy, "base64").toString("utf8"));
  edit(policy);
  const name = "policy" in fields ? "policy" : "Policy";
  return { ...fields, [name]: Buffer.from(JSON.stringify(policy)).toString("base64") };
}

await step("root: CreateBucket", () => s3.send(new CreateBucketCommand({ Bucket: bucket })));

// --- @aws-sdk/s3-presigned-post
const sdkConditions = [["content-length-range", 1, 1_000_000], ["starts-with", "$key", "sdk/"]];
const sdkBytes = randomBytes(300_000);
await step("sdk: createPresignedPost, POST, GET: same bytes and the Content-Type field", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/round-trip.bin", Conditions: [...sdkConditions, { "Content-Type": "application/x-form-test" }],
    Fields: { "Content-Type": "application/x-form-test" }, Expires: 600,
  });
  assert(target.startsWith(endpoint), `url ${target}`);
  expectStatus(await post(target, fields, sdkBytes), 204);
  const got = await assertStored("sdk/round-trip.bin", sdkBytes);
  assert(got.contentType === "application/x-form-test", `content type ${got.contentType}`);
});
await step("sdk: Fields success_action_status 201: 201 with PostResponse XML naming the key", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/created.bin", Conditions: [...sdkConditions, { success_action_status: "201" }],
    Fields: { success_action_status: "201" }, Expires: 600,
  });
  const result = await post(target, fields, sdkBytes.subarray(0, 1000));
  expectStatus(result, 201);
  assert(result.text.includes("<Key>sdk/created.bin</Key>"), result.text);
  await assertStored("sdk/created.bin", sdkBytes.subarray(0, 1000));
});
await step("sdk: key ${filename} with starts-with: the file's name fills it in", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/named/${filename}", Conditions: sdkConditions, Expires: 600,
  });
  expectStatus(await post(target, fields, sdkBytes.subarray(0, 5000), "photo.jpg"), 204);
  await assertStored("sdk/named/photo.jpg", sdkBytes.subarray(0, 5000));
});
await step("sdk: a file over content-length-range: 400 EntityTooLarge, nothing stored", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/too-large.bin", Conditions: [["content-length-range", 1, 1000]], Expires: 600,
  });
  expectStatus(await post(target, fields, randomBytes(1001)), 400, "EntityTooLarge");
  await assertAbsent("sdk/too-large.bin");
});
await step("sdk: a file under content-length-range: 400 EntityTooSmall", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/too-small.bin", Conditions: [["content-length-range", 100, 1000]], Expires: 600,
  });
  expectStatus(await post(target, fields, randomBytes(99)), 400, "EntityTooSmall");
  await assertAbsent("sdk/too-small.bin");
});
await step("sdk: a key outside starts-with $key: 403 AccessDenied, nothing stored", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/allowed.bin", Conditions: [["starts-with", "$key", "sdk/"]], Expires: 600,
  });
  expectStatus(await post(target, { ...fields, key: "elsewhere/sneaky.bin" }, sdkBytes.subarray(0, 10)), 403, "AccessDenied");
  await assertAbsent("elsewhere/sneaky.bin");
});
await step("sdk: an expired policy (Expires -60): 403 AccessDenied, nothing stored", async () => {
  const { url: target, fields } = await createPresignedPost(s3, { Bucket: bucket, Key: "sdk/expired.bin", Expires: -60 });
  const expiration = JSON.parse(Buffer.from(fields.Policy, "base64").toString("utf8")).expiration;
  assert(new Date(expiration) < new Date(), `expiration ${expiration} is not past`);
  expectStatus(await post(target, fields, sdkBytes.subarray(0, 10)), 403, "AccessDenied");
  await assertAbsent("sdk/expired.bin");
});
await step("sdk: a policy edited after signing (range widened): 403 SignatureDoesNotMatch", async () => {
  const { url: target, fields } = await createPresignedPost(s3, {
    Bucket: bucket, Key: "sdk/forged.bin", Conditions: [["content-length-range", 1, 10]], Expires: 600,
  });
  const widened = forged(fields, (p) => { p.conditions = p.conditions.map((c) => Array.isArray(c) && c[0] === "content-length-range" ? [c[0], 1, 1_000_000] : c); });
  expectStatus(await post(target, widened, sdkBytes.subarray(0, 100)), 403, "SignatureDoesNotMatch");
  await assertAbsent("sdk/forged.bin");
});
await step("sdk: a form signed with a wrong secret: 403 SignatureDoesNotMatch", async () => {
  const { url: target, fields } = await createPresignedPost(sdk(accessKeyId, "not-the-secret-key"), {
    Bucket: bucket, Key: "sdk/wrong-secret.bin", Expires: 600,
  });
  expectStatus(await post(target, fields, sdkBytes.subarray(0, 100)), 403, "SignatureDoesNotMatch");
  await assertAbsent("sdk/wrong-secret.bin");
});
await step("sdk: signed by a user allowed posts/: a key under posts/ is stored", async () => {
  const { url: target, fields } = await createPresignedPost(sdk(userKey, userSecret), {
    Bucket: bucket, Key: "posts/by-user.bin", Conditions: [["starts-with", "$key", ""]], Expires: 600,
  });
  expectStatus(await post(target, fields, sdkBytes.subarray(0, 2000)), 204);
  await assertStored("posts/by-user.bin", sdkBytes.subarray(0, 2000));
});
await step("sdk: signed by that user, a key outside posts/: 403 AccessDenied, nothing stored", async () => {
  const { url: target, fields } = await createPresignedPost(sdk(userKey, userSecret), {
    Bucket: bucket, Key: "sdk/by-user.bin", Expires: 600,
  });
  expectStatus(await post(target, fields, sdkBytes.subarray(0, 2000)), 403, "AccessDenied");
  await assertAbsent("sdk/by-user.bin");
});

// --- minio presignedPostPolicy
const minioBytes = randomBytes(250_001);
function minioPolicy(configure) {
  const policy = minio.newPostPolicy();
  policy.setBucket(bucket);
  policy.setExpires(new Date(Date.now() + 10 * 60 * 1000));
  configure(policy);
  return policy;
}
await step("minio: setKey + setContentLengthRange, POST, GET: same bytes", async () => {
  const { postURL, formData } = await minio.presignedPostPolicy(minioPolicy((p) => {
    p.setKey("minio/exact.bin");
    p.setContentLengthRange(1, 1_000_000);
  }));
  assert(postURL.startsWith(endpoint), `url ${postURL}`);
  expectStatus(await post(postURL, formData, minioBytes), 204);
  await assertStored("minio/exact.bin", minioBytes);
});
await step("minio: setKeyStartsWith, a key under the prefix: stored", async () => {
  const { postURL, formData } = await minio.presignedPostPolicy(minioPolicy((p) => p.setKeyStartsWith("minio/pre/")));
  expectStatus(await post(postURL, { ...formData, key: "minio/pre/chosen.bin" }, minioBytes.subarray(0, 777)), 204);
  await assertStored("minio/pre/chosen.bin", minioBytes.subarray(0, 777));
});
await step("minio: setKeyStartsWith, a key outside the prefix: 403 AccessDenied", async () => {
  const { postURL, formData } = await minio.presignedPostPolicy(minioPolicy((p) => p.setKeyStartsWith("minio/pre/")));
  expectStatus(await post(postURL, { ...formData, key: "minio/other.bin" }, minioBytes.subarray(0, 777)), 403, "AccessDenied");
  await assertAbsent("minio/other.bin");
});
await step("minio: a file over setContentLengthRange: 400 EntityTooLarge, nothing stored", async () => {
  const { postURL, formData } = await minio.presignedPostPolicy(minioPolicy((p) => {
    p.setKey("minio/too-large.bin");
    p.setContentLengthRange(1, 100);
  }));
  expectStatus(await post(postURL, formData, minioBytes.subarray(0, 101)), 400, "EntityTooLarge");
  await assertAbsent("minio/too-large.bin");
});
await step("minio: setExpires in the past: 403 AccessDenied, nothing stored", async () => {
  const { postURL, formData } = await minio.presignedPostPolicy(minioPolicy((p) => {
    p.setKey("minio/expired.bin");
    p.setExpires(new Date(Date.now() - 60 * 1000));
  }));
  expectStatus(await post(postURL, formData, minioBytes.subarray(0, 10)), 403, "AccessDenied");
  await assertAbsent("minio/expired.bin");
});
await step("minio: a policy edited after signing (key condition changed): 403 SignatureDoesNotMatch", async () => {
  const { postURL, formData } = await minio.presignedPostPolicy(minioPolicy((p) => p.setKey("minio/signed.bin")));
  const edited = forged(formData, (p) => {
    p.conditions = p.conditions.map((c) => Array.isArray(c) && c[1] === "$key" ? [c[0], c[1], "minio/forged.bin"] : c);
  });
  expectStatus(await post(postURL, { ...edited, key: "minio/forged.bin" }, minioBytes.subarray(0, 10)), 403, "SignatureDoesNotMatch");
  await assertAbsent("minio/forged.bin");
});

process.exit(failures ? 1 : 0);
