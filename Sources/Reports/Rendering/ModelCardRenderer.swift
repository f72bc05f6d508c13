import AuditCore

/// A calibration version's model card (built by AuditApp as JSON) as Markdown (docs/model-card.md).
public enum ModelCardRenderer {
    public static func markdown(_ card: JSONValue) -> String {
        let model = card["model"] ?? .null
        var out: [String] = []
        out.append("# Model card — \(text(model["name"])), calibration version \(text(model["calibration_version"]))")
        out.append("")
        out.append(
            "Status: \(text(model["status"])). Fitted by \(text(model["fitted_by"])) at \(text(model["created_at"])) "
                + "with vlm-audit \(text(model["code_version"])); score: \(text(model["method"])).")
        out.append("")
        out.append("## Intended use")
        out.append("")
        out.append(text(card["intended_use"]))
        out.append("")

        let data = card["data"] ?? .null
        let basis = data["basis"] ?? .null
        out.append("## Data")
        out.append("")
        out.append(
            "Evidence window [\(text(data["window_from"])), \(text(data["window_to"]))): \(text(data["fit_rows"])) labeled rows "
                + "to fit, \(text(data["holdout_rows"])) held out. Labels: \(text(basis["sample"])) "
                + "(audit rate \(text(basis["audit_rate"])), \(text(basis["audited_fit_rows"])) audited fit rows). "
                + "Data fingerprint `\(text(data["data_fingerprint"]))`.")
        out.append("")

        let guarantee = card["guarantee"] ?? .null
        out.append("## Guarantee")
        out.append("")
        out.append(
            MarkdownRenderer.markdownTable(
                ["α (target risk)", "δ", "mode", "coverage", "empirical risk", "met", "T", "τ", "rests on the audit sample"],
                [
                    ["alpha", "delta", "mode", "coverage", "empirical_risk", "met", "temperature", "threshold", "rests_on_audit_sample"]
                        .map { text(guarantee[$0]) }
                ]))
        out.append("")

        let performance = card["performance"] ?? .null
        out.append("## Performance and uncertainty quality on the evidence window")
        out.append("")
        out.append(
            "\(text(performance["predictions"])) predictions, \(text(performance["labeled"])) labeled; accuracy "
                + "\(text(performance["accuracy"])) (labels as given); on the audit sample: \(text(performance["audit"]?["accuracy"])).")
        out.append("")
        if case .object(let methods)? = performance["uncertainty_methods"], !methods.members.isEmpty {
            let columns = ["orientation", "n", "auroc", "auprc_error", "aurc", "prr", "ece"]
            out.append(
                MarkdownRenderer.markdownTable(
                    ["method"] + columns, methods.members.map { member in [member.key] + columns.map { text(member.value[$0]) } }))
            out.append("")
        }

        out.append("## Per slice (hold-out, under this version)")
        out.append("")
        if case .array(let slices)? = card["slices"], !slices.isEmpty {
            let columns = ["n", "accuracy", "coverage", "accepted_error_rate", "ece_after"]
            out.append(
                MarkdownRenderer.markdownTable(
                    ["slice"] + columns,
                    slices.map { slice in
                        ["\(text(slice["attribute"])) = \(text(slice["value"]))"] + columns.map { text(slice["metrics"]?[$0]) }
                    }))
        } else {
            out.append("No slice has enough hold-out rows to report.")
        }
        out.append("")

        let nota = card["nota"] ?? .null
        out.append("## NOTA fragility")
        out.append("")
        out.append(
            "\(text(nota["pairs"])) NOTA probes paired with their clean predictions: accuracy \(text(nota["clean_accuracy"])) clean, "
                + "\(text(nota["nota_accuracy"])) under NOTA; fragility AUROC per method (how well clean uncertainty anticipates "
                + "a collapse): "
                + (nota["fragility_auroc"].flatMap { value -> String? in
                    guard case .object(let methods) = value, !methods.members.isEmpty else { return nil }
                    return methods.members.map { "\($0.key) \(text($0.value))" }.joined(separator: ", ")
                } ?? "none") + ".")
        out.append("")

        out.append("## Known limitations")
        out.append("")
        if case .array(let limitations)? = card["limitations"] {
            for limitation in limitations { out.append("- " + text(limitation)) }
        }
        out.append("")

        let approvals = card["approvals"] ?? .null
        out.append("## Approval history")
        out.append("")
        if case .array(let changes)? = approvals["status_changes"], !changes.isEmpty {
            out.append(
                MarkdownRenderer.markdownTable(
                    ["status", "by", "reason", "at"], changes.map { change in ["status", "by", "reason", "at"].map { text(change[$0]) } }))
            out.append("")
        }
        if case .array(let signatures)? = approvals["signatures"], !signatures.isEmpty {
            for signature in signatures {
                out.append(
                    "- Signed \(text(signature["meaning"])) by \(text(signature["signer_name"])) (\(text(signature["signer_identity"]))) "
                        + "at \(text(signature["signed_at"])): \(text(signature["reason"]))")
            }
        } else {
            out.append("No signature: the version was never activated, rolled back or rejected by a person.")
        }
        out.append("")
        out.append("Fields map to the CHAI Applied Model Card as docs/model-card.md lists.")
        out.append("")
        return out.joined(separator: "\n")
    }

    /// A value as the card prints it: numbers with three decimals, null as "–".
    static func text(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .integer(let number)?: String(number)
        case .number(let number)?: Numbers.fixed(number)
        case .bool(let flag)?: flag ? "yes" : "no"
        case .null?, nil: "–"
        case let other?: CanonicalJSON.text(other)
        }
    }
}
