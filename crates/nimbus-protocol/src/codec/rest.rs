//! HTTP bindings shared by `rest-json` and `rest-xml`: URI labels, query
//! strings, headers, status codes and payload members.
