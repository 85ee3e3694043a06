//! Shape-driven XML bodies, shared by the query, ec2 and rest-xml protocols.
