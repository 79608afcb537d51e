// CommonJS works too. Returning a plain object (no statusCode) answers 200 with it as JSON.
exports.handler = async () => {
  const now = new Date();
  return { iso: now.toISOString(), epochMs: now.getTime() };
};
