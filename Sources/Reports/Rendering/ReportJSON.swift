import AuditCore

extension MonthlyReport {
    /// Every number of the report, as canonical JSON (sorted keys: byte-identical for the same data).
    public var json: JSONValue {
        .object([
            ("month", .string(month)),
            (
                "integrity",
                .object([
                    ("intact", .bool(integrityIntact)), ("complete", .bool(integrityComplete)),
                    ("problems", .array(integrityProblems.map { .string($0) })),
                    ("chain_head", .text(chainHead)), ("chain_head_batch", chainHeadBatch.map { .integer($0) } ?? .null),
                    ("chain_head_time", .text(chainHeadTime)), ("calibration_head", .text(calibrationHead)),
                    ("drift_head", .text(driftHead)), ("monitor_head", .text(monitorHead)),
                    ("checkpoint_head", .text(checkpointHead)), ("access_head", .text(accessHead)),
                    ("verified_range", verifiedRangeJSON),
                    ("schema", .object([("definitions", .count(schemaDefinitions)), ("not_checked", .text(schemaNotChecked))])),
                ])
            ),
            (
                "fleet",
                .object([
                    ("predictions", .count(fleet.predictions)), ("labeled", .count(fleet.labeled)), ("probes", .count(fleet.probes)),
                    ("spearman_accuracy_auroc", .number(fleet.spearman)),
                    (
                        "models",
                        .array(
                            fleet.points.map {
                                .object([
                                    ("model", .string($0.model)), ("accuracy", .number($0.accuracy)), ("msp_auroc", .number($0.auroc)),
                                ])
                            })
                    ),
                ])
            ),
            ("models", .array(models.map(\.json))),
            (
                "calibration_changes",
                .array(
                    calibrationChanges.map { change in
                        .object([
                            ("version", .integer(change.version)), ("model", .string(change.model)),
                            ("status", .string(change.status.rawValue)),
                            ("by", .string(change.actor)), ("reason", .string(change.reason)), ("at", .string(change.at)),
                            ("temperature", .number(change.temperature)), ("threshold", .number(change.threshold)),
                        ])
                    })
            ),
            (
                "drift",
                .array(
                    driftRuns.map { run in
                        .object([
                            ("model", .string(run.model)), ("status", .string(run.status.rawValue)),
                            (
                                "findings",
                                .array(
                                    run.findings.map {
                                        .object([
                                            ("severity", .string($0.severity.rawValue)), ("message", .string($0.message)),
                                            ("action", .text($0.action)),
                                        ])
                                    })
                            ),
                        ])
                    })
            ),
            ("monitors", .array(monitors.map(\.json))),
            ("access", accessJSON),
            (
                "data_quality",
                .object([
                    (
                        "quarantined_by_field",
                        .array(
                            dataQuality.quarantinedByReason.map {
                                .object([("field", .string($0.field)), ("count", .count($0.count)), ("example", .string($0.example))])
                            })
                    ),
                    ("labels_for_unknown_predictions", .count(dataQuality.unknownPredictionLabels)),
                    ("late_labels", .count(dataQuality.lateLabels)),
                ])
            ),
        ])
    }
}

extension ModelSection {
    var json: JSONValue {
        .object([
            ("model", .string(model)), ("predictions", .count(predictions)), ("labeled", .count(labeled)),
            ("median_label_delay_days", .number(medianLabelDelayDays)),
            (
                "accuracy",
                .object([("value", .number(accuracy)), ("ci_lower", .number(accuracyLower)), ("ci_upper", .number(accuracyUpper))])
            ),
            ("escalation_rate", .number(escalationRate)), ("accepted_error_rate", .number(acceptedErrorRate)), ("alpha", .number(alpha)),
            ("missed_errors", missedErrors.map { .count($0) } ?? .null),
            (
                "calibration",
                .object([
                    ("version", calibrationVersion.map { .integer($0) } ?? .null), ("temperature", .number(temperature)),
                    ("threshold", .number(threshold)), ("escalates_everything", .bool(calibrationVersion != nil && threshold == nil)),
                ])
            ),
            ("drift_status", .text(driftStatus?.rawValue)), ("verdict", .string(verdict)),
            (
                "methods",
                .array(
                    methods.map { row in
                        .object([
                            ("method", .string(row.method)), ("orientation", .string(row.orientation)), ("n", .count(row.n)),
                            ("auroc", .number(row.auroc)), ("auprc_error", .number(row.auprcError)), ("aurc", .number(row.aurc)),
                            ("prr", .number(row.prr)), ("ece_before", .number(row.eceBefore)), ("ece_after", .number(row.eceAfter)),
                        ])
                    })
            ),
            ("reliability_before", .array(reliabilityBefore.map(\.json))), ("reliability_after", .array(reliabilityAfter.map(\.json))),
            ("risk_coverage", .array(riskCoverage.map { .object([("coverage", .number($0.x)), ("risk", .number($0.y))]) })),
            (
                "slices",
                .array(
                    slices.map { slice in
                        .object([
                            ("attribute", .string(slice.attribute)), ("value", .string(slice.value)), ("n", .count(slice.n)),
                            ("accuracy", .number(slice.accuracy)), ("msp_auroc", .number(slice.auroc)), ("flagged", .bool(slice.flagged)),
                        ])
                    })
            ),
            (
                "nota",
                nota.map { nota in
                    .object([
                        ("pairs", .count(nota.pairs)), ("clean_accuracy", .number(nota.cleanAccuracy)),
                        ("nota_accuracy", .number(nota.notaAccuracy)),
                        ("collapses", .count(nota.collapses)), ("fragile_live_predictions", .count(nota.fragileLive)),
                        ("fragility_threshold_msp", .number(nota.fragilityThreshold)),
                        (
                            "methods",
                            .array(
                                nota.methods.map { method in
                                    .object([
                                        ("method", .string(method.method)), ("mean_confidence_clean", .number(method.meanClean)),
                                        ("mean_confidence_nota", .number(method.meanNota)), ("calibration_gap_nota", .number(method.gap)),
                                        ("ece_nota", .number(method.eceNota)), ("fragility_auroc", .number(method.fragility)),
                                    ])
                                })
                        ),
                    ])
                } ?? .null
            ),
            ("findings_basis", .string(findingsBasis)),
            ("audit", auditJSON),
        ])
    }

    /// The audit sample's estimates beside the naive ones (null without an audit plan).
    var auditJSON: JSONValue {
        guard let audit else { return .null }
        let accuracy: JSONValue = .object([
            ("value", .number(audit.accuracy)), ("ci_lower", .number(audit.accuracyLower)),
            ("ci_upper", .number(audit.accuracyUpper)),
        ])
        let ppi: JSONValue = .object([
            ("value", .number(audit.ppiEstimate)), ("ci_lower", .number(audit.ppiLower)),
            ("ci_upper", .number(audit.ppiUpper)),
        ])
        return .object([
            ("rate", .number(audit.rate)), ("members", .count(audit.members)), ("labeled", .count(audit.labeled)),
            ("completion", .number(audit.completion)), ("completion_warning", .bool(audit.completionLow)), ("accuracy", accuracy),
            ("ppi_accuracy", ppi), ("naive_accuracy", .number(audit.naiveAccuracy)), ("selection_gap", .number(audit.selectionGap)),
            ("selection_flag", .bool(audit.selectionFlag)), ("msp_auroc", .number(auditMSPAUROC)),
        ])
    }
}

extension ReliabilityPoint {
    var json: JSONValue { .object([("conf", .number(confidence)), ("acc", .number(accuracy)), ("n", .count(n))]) }
}

extension MonthlyReport {
    /// Which batches the integrity check recomputed (null in a report built without one).
    var verifiedRangeJSON: JSONValue {
        guard let range = verifiedRange else { return .null }
        return .object([
            ("full", .bool(range.isFull)), ("from_checkpoint", range.fromCheckpoint.map { .integer($0) } ?? .null),
            ("after_batch", .integer(range.afterBatch)), ("through_batch", range.throughBatch.map { .integer($0) } ?? .null),
            ("batches_checked", .count(range.batchesChecked)), ("rows_checked", .count(range.rowsChecked)),
        ])
    }
}

extension MonthlyReport {
    /// Section 10 (null in a report built without the access log).
    var accessJSON: JSONValue {
        guard let access else { return .null }
        return .object([
            (
                "counts",
                .array(
                    access.counts.map {
                        .object([
                            ("actor", .string($0.actor)), ("action", .string($0.action)), ("outcome", .string($0.outcome.rawValue)),
                            ("count", .count($0.count)),
                        ])
                    })
            ),
            ("new_actors", .array(access.newActors.map { .string($0) })),
            (
                "off_hours_bulk",
                .array(
                    access.offHoursBulk.map {
                        .object([("actor", .string($0.actor)), ("hour", .string($0.hour)), ("count", .count($0.count))])
                    })
            ),
            ("bulk_threshold", .count(AccessSection.bulkThreshold)),
        ])
    }
}
