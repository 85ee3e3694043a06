//! The `json` protocols (awsJson1_0, awsJson1_1), including awsQueryCompatible errors.
