// Lambda style: `handler` gets an API Gateway HTTP API (payload 2.0) event and a context,
// and returns { statusCode, headers, body }, as on AWS Lambda.
interface HttpEvent {
  rawPath: string;
  queryStringParameters?: Record<string, string>;
  body?: string;
  isBase64Encoded: boolean;
  requestContext: { http: { method: string } };
}

export const handler = async (event: HttpEvent, context: { awsRequestId: string }) => {
  // Binary bodies arrive base64-encoded; text bodies as they are.
  const body = event.isBase64Encoded && event.body !== undefined ? atob(event.body) : (event.body ?? null);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-request-id': context.awsRequestId },
    body: JSON.stringify({
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: event.queryStringParameters ?? {},
      body,
    }),
  };
};
