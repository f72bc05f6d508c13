/// The version of vlm-audit recorded in every ingest batch and calibration version.
public let vlmAuditVersion = "0.1.0"
