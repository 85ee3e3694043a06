// nimbus's runtime client for Node.js functions: the Lambda Runtime API
// loop as AWS's runtime interface client runs it (handler resolution,
// async and callback handlers, the context object, errors as it shapes
// them). Node's own modules only.
'use strict';

const http = require('http');
const path = require('path');

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const PREFIX = '/2018-06-01/runtime';

function call(method, route, body, headers) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    const request = http.request(
      { host, port, method, path: PREFIX + route, agent,
        headers: Object.assign({ 'Content-Length': payload.length }, headers || {}) },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }));
      });
    request.on('error', reject);
    request.end(payload);
  });
}

function errorDocument(error) {
  const document = {
    errorType: (error && (error.errorType || error.name)) || 'Error',
    errorMessage: (error && error.message) || String(error),
    trace: error && error.stack ? String(error.stack).split('\n') : [],
  };
  return document;
}

// Response streaming: `awslambda.streamifyResponse(handler)` marks a handler
// that writes its answer to a stream, which goes to the Runtime API as a
// chunked body as it is written; an error is told in the trailers.
const STREAMING = Symbol('nimbus.streaming');
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';

global.awslambda = {
  streamifyResponse(handler) {
    handler[STREAMING] = true;
    return handler;
  },
  HttpResponseStream: {
    // A function URL's status and headers, then eight zero bytes, then the body.
    from(stream, metadata) {
      stream.setContentType(HTTP_INTEGRATION);
      stream.write(JSON.stringify(metadata || {}));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};

function responseStream(requestId) {
  const request = http.request({
    host, port, method: 'POST', agent,
    path: `${PREFIX}/invocation/${requestId}/response`,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      'Content-Type': 'application/octet-stream',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  const answered = new Promise((resolve, reject) => {
    request.on('response', (response) => { response.resume(); response.on('end', resolve); });
    request.on('error', reject);
  });
  request.setContentType = (type) => request.setHeader('Content-Type', type);
  request.answered = answered;
  return request;
}

async function runStreaming(handler, event, context, requestId) {
  const stream = responseStream(requestId);
  try {
    await handler(event, stream, context);
    if (!stream.writableEnded) stream.end();
  } catch (error) {
    const document = errorDocument(error);
    console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(document)}`);
    stream.addTrailers({
      'Lambda-Runtime-Function-Error-Type': document.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(document)).toString('base64'),
    });
    if (!stream.writableEnded) stream.end();
  }
  await stream.answered;
}

class Faulty extends Error {
  constructor(type, message) { super(message); this.name = type; }
}

function loadHandler(spec) {
  const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = spec.lastIndexOf('.');
  if (dot < 0) throw new Faulty('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  const modulePath = spec.slice(0, dot);
  const name = spec.slice(dot + 1);
  let module;
  try {
    module = require(path.resolve(taskRoot, modulePath));
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND') {
      throw new Faulty('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
    }
    if (error instanceof SyntaxError) throw new Faulty('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    throw error;
  }
  const handler = module[name];
  if (handler === undefined) throw new Faulty('Runtime.HandlerNotFound', `${modulePath}.${name} is undefined or not exported`);
  if (typeof handler !== 'function') throw new Faulty('Runtime.HandlerNotFound', `${modulePath}.${name} is not a function`);
  return handler;
}

function contextFor(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: headers['lambda-runtime-client-context'] ? JSON.parse(headers['lambda-runtime-client-context']) : undefined,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function run(handler, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error ? reject(error) : resolve(result));
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
    } catch (error) {
      reject(error);
    }
  });
}

async function main() {
  let handler;
  let fault;
  try { handler = loadHandler(process.env._HANDLER); } catch (error) { fault = error; }
  for (;;) {
    const next = await call('GET', '/invocation/next');
    if (next.status !== 200) return;
    const requestId = next.headers['lambda-runtime-aws-request-id'];
    process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'] || '';
    try {
      if (fault) throw fault;
      const event = next.body.length ? JSON.parse(next.body.toString()) : {};
      if (handler[STREAMING]) {
        await runStreaming(handler, event, contextFor(next.headers), requestId);
        continue;
      }
      const result = await run(handler, event, contextFor(next.headers));
      const answer = result === undefined ? 'null' : JSON.stringify(result);
      await call('POST', `/invocation/${requestId}/response`, answer);
    } catch (error) {
      const document = errorDocument(error);
      console.error(`${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(document)}`);
      await call('POST', `/invocation/${requestId}/error`, JSON.stringify(document),
        { 'Lambda-Runtime-Function-Error-Type': document.errorType });
    }
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
