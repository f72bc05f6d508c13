import AuditCore

/// Turns report models into files; never queries the database.
public enum ReportRendering {}
