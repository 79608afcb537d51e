// Lambda style: bucket notifications arrive as S3-like Records; bindings are on context.env.
interface S3Record {
  eventName: string;
  s3: { bucket: { name: string }; object: { key: string; size: number; contentType: string } };
}
interface Bucket {
  get(key: string): Promise<{ text(): Promise<string>; contentType: string } | null>;
  put(key: string, body: string, opts?: { contentType?: string }): Promise<unknown>;
}

export const handler = async (event: { Records: S3Record[] }, context: { env: { UPLOADS: Bucket; DERIVED: Bucket } }) => {
  for (const record of event.Records) {
    const { key } = record.s3.object;
    const original = await context.env.UPLOADS.get(key);
    if (!original) continue; // deleted since the event was sent
    const derived = (await original.text()).toUpperCase();
    await context.env.DERIVED.put(key, derived, { contentType: original.contentType });
    console.log(`transcoded ${key} (${record.s3.object.size} bytes)`);
  }
};
