import Foundation

/// Small, valid records for tests, as JSON lines.
public enum SampleRecords {
    /// A valid prediction line; `correctIndex` is where the model put most mass.
    public static func prediction(
        id: String, model: String = "m1", at time: String = "2026-10-05T09:12:00Z", predicted: Int = 0,
        probabilities: [Double] = [0.6, 0.2, 0.1, 0.1], extra: String = ""
    ) -> String {
        let options = (0..<probabilities.count).map { "\"option \($0)\"" }.joined(separator: ",")
        let probs = probabilities.map { "\($0)" }.joined(separator: ",")
        return
            #"{"prediction_id":"\#(id)","model":"\#(model)","occurred_at":"\#(time)","options":[\#(options)],"option_probs":[\#(probs)],"predicted":\#(predicted),"confidence":{"verbalized":0.8},"attributes":{"modality":"CT"}\#(extra)}"#
    }

    /// A valid label line.
    public static func label(id: String, label: Int, reviewer: String = "rad-1", at time: String = "2026-10-06T10:00:00Z") -> String {
        #"{"prediction_id":"\#(id)","label":\#(label),"reviewer":"\#(reviewer)","reviewed_at":"\#(time)"}"#
    }

    /// Writes lines to a new temporary file and returns its path.
    public static func file(_ lines: [String], extension fileExtension: String = "jsonl") throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vlm-audit-tests", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("\(UUID().uuidString).\(fileExtension)").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
