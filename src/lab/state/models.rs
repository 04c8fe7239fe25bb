//! Choosing a model: a bundled one, or the student's own files; only a
//! model the worker accepted replaces the active one.

use super::*;
use crate::lab::config::{self};
use crate::lab::protocol::ModelFile;
use std::sync::Arc;

impl LabState {
    // --- Models ------------------------------------------------------------

    /// Fetches the bundled model the URL names, unless it is already active.
    pub(super) fn load_bundled(&mut self) {
        let name = self.url.model.clone();
        let active = self.model.as_ref().map(|m| &m.source);
        if active == Some(&ModelSource::Bundled(name.clone())) {
            return;
        }
        let choice = self.choose();
        self.effects.push(Effect::FetchModel { choice, name });
    }

    /// Starts a model choice; see `latest_choice`.
    pub(super) fn choose(&mut self) -> u64 {
        let choice = self.id();
        self.latest_choice = choice;
        choice
    }

    /// Hands a model to the worker; it becomes active when the worker has
    /// checked and planned it.
    pub(super) fn load_model(
        &mut self,
        key: String,
        name: String,
        source: ModelSource,
        data: ModelData,
    ) {
        let request = self.id();
        let data = Arc::new(data);
        let plan = self.url.config.plan;
        self.send(data.load_message(request, &key, &name, plan));
        self.pending = Some(PendingModel {
            request,
            key,
            name,
            source,
            data,
        });
    }

    /// Files chosen together: one `.onnx` and the files it keeps its weights
    /// in (`model.onnx.data`).
    pub(super) fn files_chosen(&mut self, files: Vec<FileMeta>) {
        if files.is_empty() {
            return;
        }
        let ui = self.ui();
        let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
        let (models, weights): (Vec<_>, Vec<_>) = files
            .iter()
            .partition(|f| f.name.to_lowercase().ends_with(".onnx"));
        let model = match models.as_slice() {
            [one] => one.name.clone(),
            [] => return self.notify(format!("{}: {}", names.join(", "), ui.no_onnx_chosen), true),
            _ => return self.notify(ui.one_onnx_at_a_time.to_string(), true),
        };
        let size: u64 = files.iter().map(|f| f.size).sum();
        if size > MAX_MODEL_FILE_BYTES {
            let text = self.lang().model_too_large(
                &names.join(" + "),
                size as f64 / 1048576.0,
                MAX_MODEL_FILE_BYTES >> 20,
            );
            return self.notify(text, true);
        }
        if self.typed_input_shape().is_none() {
            return;
        }
        let choice = self.choose();
        let names = std::iter::once(model)
            .chain(weights.iter().map(|f| f.name.clone()))
            .collect();
        self.effects.push(Effect::ReadModelFiles { choice, names });
    }

    pub(super) fn files_read(
        &mut self,
        choice: u64,
        result: Result<Vec<(String, Vec<u8>)>, String>,
    ) {
        if choice != self.latest_choice {
            return;
        }
        let read = match result {
            Ok(read) => read,
            Err(e) => return self.notify(e, true),
        };
        // The input shape was checked when the files were chosen.
        let Some(input_shape) = self.typed_input_shape() else {
            return;
        };
        let mut files = read.into_iter();
        let Some((name, bytes)) = files.next() else {
            return;
        };
        let data = ModelData {
            bytes,
            files: files
                .map(|(name, bytes)| ModelFile { name, bytes })
                .collect(),
            input_shape,
        };
        let key = data.file_key(&name);
        self.last_files = Some((name.clone(), Arc::new(data.clone())));
        self.load_model(key, name, ModelSource::File, data);
    }

    /// The input-shape field as a shape (`Some(None)` when empty), or `None`
    /// after telling the student why it is not one.
    pub(super) fn typed_input_shape(&mut self) -> Option<Option<Vec<usize>>> {
        match config::parse_input_shape(&self.input_shape) {
            Ok(shape) => Some(shape),
            Err(e) => {
                let text = format!("{}: {e}", self.ui().input_shape);
                self.notify(text, true);
                None
            }
        }
    }

    /// Loads the last chosen file again with the input shape now typed in
    /// (for a model with free dimensions that failed without one).
    pub(super) fn reload_with_shape(&mut self) {
        let Some((name, data)) = self.last_files.clone() else {
            let text = self.ui().choose_file_first.to_string();
            return self.notify(text, true);
        };
        let Some(input_shape) = self.typed_input_shape() else {
            return;
        };
        self.choose();
        let mut data = (*data).clone();
        data.input_shape = input_shape;
        let key = data.file_key(&name);
        self.load_model(key, name, ModelSource::File, data);
    }
}
