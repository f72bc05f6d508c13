/// Pure numeric code: every function is specified in docs/statistics.md (STATISTICS.md of the design).
public enum StatisticsLibrary {}
