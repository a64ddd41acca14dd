//! `DIR/index.json` of `layout-expert batch`: one entry per configuration, with the same columns
//! as the run's final table (output file, kernel release, types, types in error, time, error).

/// One configuration of a batch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchEntry {
    /// The configuration file as given.
    pub config: String,
    /// The pre-AST file as given.
    pub pre_ast: String,
    /// The profile's file name inside the output directory.
    pub output: String,
    /// The pre-AST's kernel release, when known.
    pub kernel_release: Option<String>,
    /// Structs and unions exported.
    pub types: usize,
    /// Types listed in error in the profile's metadata.
    pub types_in_error: usize,
    /// Seconds this configuration took (its own work, not the wait for a free worker).
    pub seconds: f64,
    /// Why no profile was written; `None` when it was.
    pub error: Option<String>,
}

/// The whole index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchIndex {
    /// `rekall` or `isf`.
    pub format: String,
    /// In the order the configurations were given.
    pub profiles: Vec<BatchEntry>,
    /// Translation units preprocessed, and replayed from an earlier configuration that read the
    /// same configuration state.
    pub units_run: usize,
    pub units_replayed: usize,
}

impl BatchIndex {
    /// The index as pretty-printed JSON (`layout-expert-batch/1`).
    pub fn to_json_text(&self) -> String {
        let profiles: Vec<serde_json::Value> = self
            .profiles
            .iter()
            .map(|e| {
                serde_json::json!({
                    "config": e.config,
                    "pre_ast": e.pre_ast,
                    "output": if e.error.is_none() { serde_json::Value::from(e.output.as_str()) } else { serde_json::Value::Null },
                    "kernel_release": e.kernel_release,
                    "types": e.types,
                    "types_in_error": e.types_in_error,
                    "seconds": (e.seconds * 1000.0).round() / 1000.0,
                    "ok": e.error.is_none(),
                    "error": e.error,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "schema": "layout-expert-batch/1",
            "format": self.format,
            "profiles": profiles,
            "units_run": self.units_run,
            "units_replayed": self.units_replayed,
        });
        let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value always serializes");
        text.push('\n');
        text
    }
}
