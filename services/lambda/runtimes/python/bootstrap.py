"""nimbus's runtime client for Python functions.

Runs the Lambda Runtime API loop as AWS's runtime interface client does:
resolve the handler, then for each invocation call it with the event and a
context object, and post its result or its error. Stdlib only, a plain
socket for HTTP: a cold start should cost little more than the interpreter.
"""

import json
import os
import socket
import sys
import time

API_HOST, API_PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
PREFIX = "/2018-06-01/runtime"


class RuntimeConnection:
    """One keep-alive HTTP/1.1 connection to the Runtime API."""

    def __init__(self):
        self.sock = socket.create_connection((API_HOST, int(API_PORT)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def request(self, method, path, body=b"", headers=None):
        head = f"{method} {PREFIX}{path} HTTP/1.1\r\nHost: {API_HOST}\r\nContent-Length: {len(body)}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + body)
        return self._response()

    def _read_until(self, marker):
        while marker not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the Runtime API closed the connection")
            self.buffer += chunk
        index = self.buffer.index(marker) + len(marker)
        taken, self.buffer = self.buffer[:index], self.buffer[index:]
        return taken

    def _response(self):
        lines = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the Runtime API closed the connection")
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body


class LambdaContext:
    def __init__(self, request_id, deadline_ms, function_arn, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = json.loads(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)


class FaultyHandler(Exception):
    """A handler that cannot be loaded: every invocation reports why."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def load_handler(spec):
    try:
        module_path, name = spec.rsplit(".", 1)
    except ValueError:
        raise FaultyHandler("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)")
    module_name = module_path.replace("/", ".")
    try:
        import importlib

        module = importlib.import_module(module_name)
    except ImportError as error:
        raise FaultyHandler("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}")
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {(error.text or "").strip()}\n']
        raise FaultyHandler("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}", trace)
    except Exception as error:
        raise FaultyHandler(type(error).__name__, str(error), stack_of(error))
    handler = getattr(module, name, None)
    if handler is None:
        raise FaultyHandler("Runtime.HandlerNotFound", f"Handler '{name}' missing on module '{module_name}'")
    return handler


def stack_of(error):
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    own = os.path.abspath(__file__)
    return [line for frame, line in zip(frames, traceback.format_list(frames)) if os.path.abspath(frame.filename) != own]


def error_document(error_type, message, request_id, trace):
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": trace}


def log_error(document):
    lines = "".join(document["stackTrace"])
    print(f"[ERROR] {document['errorType']}: {document['errorMessage']}\nTraceback (most recent call last):\n{lines}", flush=True)


def main():
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    sys.path.insert(0, task_root)
    os.chdir(task_root)
    connection = RuntimeConnection()
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except FaultyHandler as faulty:
        # As AWS's client: reported once through /runtime/init/error, then
        # the process ends (Lambda initialises again on the next invoke).
        document = error_document(faulty.error_type, faulty.message, "", faulty.trace)
        log_error(document)
        connection.request(
            "POST",
            "/init/error",
            json.dumps(document).encode(),
            {"Lambda-Runtime-Function-Error-Type": faulty.error_type},
        )
        sys.exit(1)
    while True:
        status, headers, body = connection.request("GET", "/invocation/next")
        if status != 200:
            return
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        os.environ["_X_AMZN_TRACE_ID"] = headers.get("lambda-runtime-trace-id", "")
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms", "0")),
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-client-context"),
        )
        try:
            event = json.loads(body) if body else {}
            result = handler(event, context)
            try:
                answer = json.dumps(result).encode()
            except (TypeError, ValueError) as error:
                raise FaultyHandler("Runtime.MarshalError", f"Unable to marshal response: {error}")
            connection.request("POST", f"/invocation/{request_id}/response", answer)
        except FaultyHandler as faulty:
            document = error_document(faulty.error_type, faulty.message, request_id, faulty.trace)
            log_error(document)
            post_error(connection, request_id, document)
        except Exception as error:
            document = error_document(type(error).__name__, str(error), request_id, stack_of(error))
            log_error(document)
            post_error(connection, request_id, document)


def post_error(connection, request_id, document):
    connection.request(
        "POST",
        f"/invocation/{request_id}/error",
        json.dumps(document).encode(),
        {"Lambda-Runtime-Function-Error-Type": document["errorType"]},
    )


if __name__ == "__main__":
    main()
