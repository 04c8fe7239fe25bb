//! The model card: the bundled models, the student's own files (picked or
//! dropped), the input shape for free dimensions, and what the worker found
//! in the model.

use super::common::{event_target, files_of, lab};
use leptos::prelude::*;
use piedge::card::TensorInfo;
use piedge::lab::config::BUNDLED_MODELS;
use piedge::lab::state::Event;

#[component]
pub fn ModelPicker() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let dragging = RwSignal::new(false);
    let busy = lab.select(|s| s.is_busy());
    let loading = lab.select(|s| s.pending.is_some());
    let chosen = lab.select(|s| s.url.model.clone());
    let shape = lab.select(|s| s.input_shape.clone());
    let on_files = move |files: Vec<web_sys::File>| {
        if !files.is_empty() {
            lab.pick_model_files(files);
        }
    };
    view! {
        <section
            class="card model"
            class:dragging=move || dragging.get()
            on:dragover=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                dragging.set(false);
                on_files(files_of(ev.data_transfer().and_then(|d| d.files())));
            }
        >
            <div class="row">
                <label>
                    <span>{move || ui().model}</span>
                    <select
                        id="model-select"
                        disabled=move || busy.get()
                        on:change=move |ev| lab.send(Event::ChooseBundled(event_target_value(&ev)))
                    >
                        {BUNDLED_MODELS
                            .iter()
                            .map(|&m| {
                                view! {
                                    <option value=m selected=move || chosen.get() == m>
                                        {format!("{m}.onnx")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="file">
                    <span>{move || ui().own_model}</span>
                    <input
                        id="model-file"
                        type="file"
                        accept=".onnx,.data,.bin"
                        multiple=true
                        disabled=move || busy.get()
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            on_files(files_of(input.files()));
                            input.set_value("");
                        }
                    />
                </label>
            </div>
            <p class="hint">{move || ui().drop_hint}</p>
            <div class="row">
                <label>
                    <span>{move || ui().input_shape}</span>
                    <input
                        id="input-shape"
                        type="text"
                        placeholder="1,3,224,224"
                        prop:value=move || shape.get()
                        on:input=move |ev| lab.send(Event::SetInputShape(event_target_value(&ev)))
                    />
                </label>
                <button id="apply-shape" disabled=move || busy.get() on:click=move |_| lab.send(Event::ReloadWithShape)>
                    {move || ui().use_shape}
                </button>
            </div>
            <p class="hint">{move || ui().input_shape_hint}</p>
            <Show when=move || loading.get()>
                <p class="busy">{move || ui().loading_model}</p>
            </Show>
            <ModelCardView/>
        </section>
    }
}

#[component]
fn ModelCardView() -> impl IntoView {
    let lab = lab();
    let ui = move || lab.lang().ui();
    let model = lab.select(|s| s.model.clone());
    let shape = |t: &TensorInfo| format!("{} {} [{}]", t.name, t.element_type, t.shape.join(", "));
    move || {
        model.get().map(|m| {
            let c = m.card.clone();
            let mut ops: Vec<(String, usize)> = c.op_histogram.clone().into_iter().collect();
            ops.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let ops = ops.into_iter().map(|(o, n)| format!("{o} × {n}")).collect::<Vec<_>>().join(", ");
            let node_count = c.node_count;
            view! {
                <details class="model-card" open=true>
                    <summary>
                        {move || ui().model_card} ": " <strong id="model-name">{c.name.clone()}</strong>
                    </summary>
                    <table class="kv">
                        <tr><th>{move || ui().inputs}</th><td>{c.inputs.iter().map(shape).collect::<Vec<_>>().join("; ")}</td></tr>
                        <tr><th>{move || ui().outputs}</th><td>{c.outputs.iter().map(shape).collect::<Vec<_>>().join("; ")}</td></tr>
                        <tr><th>{move || ui().operators}</th><td>{move || format!("{node_count} {}: {ops}", ui().nodes)}</td></tr>
                        <tr><th>{move || ui().parameters}</th><td>{piedge::card::human_count(c.parameters)}</td></tr>
                        <tr><th>{move || ui().macs}</th><td id="model-macs">{piedge::card::human_count(c.macs)}</td></tr>
                        <tr><th>{move || ui().file_size}</th><td>{piedge::card::human_bytes(c.size_bytes)}</td></tr>
                        <tr>
                            <th>{move || ui().load_ms}</th>
                            <td>
                                {move || format!(
                                    "{:.1} ms / {:.1} ms (tract: {} → {} {}){}",
                                    m.pipeline.load_ms,
                                    m.pipeline.optimise_ms,
                                    m.nodes_analysed,
                                    m.nodes_planned,
                                    ui().nodes,
                                    if m.cached { format!(", {}", ui().cached) } else { String::new() },
                                )}
                            </td>
                        </tr>
                    </table>
                </details>
            }
        })
    }
}
