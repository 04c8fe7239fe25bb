//! The class board as the page knows it: the student's nickname and device
//! label, sharing a kept run, the board itself (fetched every 750 ms while
//! it is shown), its filters and sort, and the teacher's calls.

use super::{Effect, LabState, Refused, ServerApi};
use crate::board::{self, Board, Filter, ShareRequest, SortBy};

/// A teacher's action on the board.
#[derive(Clone, Debug, PartialEq)]
pub enum TeacherAction {
    NewSession(String),
    Lock(bool),
    Release(bool),
    Hide(u64, bool),
    Remove(u64),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassBoard {
    pub data: Option<Board>,
    /// Why the last fetch failed, if it did.
    pub error: Option<String>,
    fetching: bool,
    pub model: Option<String>,
    pub settings: Option<(usize, usize)>,
    pub sort: SortBy,
    pub nickname: String,
    /// The student's word for the device ("my phone").
    pub label: String,
    /// Kept runs shared from this tab: (run id, board id).
    pub shared: Vec<(String, u64)>,
    /// The run being shared now.
    pub sharing: Option<String>,
    ticks: u64,
}

impl LabState {
    /// The board is shown (the URL says `board=1`) and a server offers it.
    pub fn board_shown(&self) -> bool {
        self.url.board && matches!(self.native.api, ServerApi::Present { .. })
    }

    pub fn is_teacher(&self) -> bool {
        !self.url.teacher.is_empty()
    }

    /// The board's runs as the filters and sort arrange them.
    pub fn arranged_board(&self) -> Option<board::Arranged<'_>> {
        let data = self.board.data.as_ref()?;
        let filter = Filter {
            model: self.board.model.clone(),
            settings: self.board.settings,
            hidden: self.is_teacher(),
        };
        Some(board::arrange(&data.runs, &filter, self.board.sort))
    }

    /// Every 750 ms while the board is shown: fetch it again, unless a
    /// fetch is still under way.
    /// Whether the page should send [`super::Event::BoardTick`]: the board
    /// is shown, or a class's locked answers wait for the board's release.
    pub fn wants_board_ticks(&self) -> bool {
        let served = matches!(self.native.api, ServerApi::Present { .. });
        self.board_shown() || (served && self.answers_locked())
    }

    /// While a class's answers are locked on a page from `piedge serve`,
    /// the board is fetched too (every fourth tick, 3 s), because the
    /// teacher may release them there.
    pub(super) fn board_tick(&mut self) {
        self.board.ticks += 1;
        let every = if self.board_shown() { 1 } else { 4 };
        if self.wants_board_ticks()
            && self.board.ticks.is_multiple_of(every)
            && !self.board.fetching
        {
            self.board.fetching = true;
            self.effects.push(Effect::FetchBoard {
                teacher: self.url.teacher.clone(),
            });
        }
    }

    pub(super) fn board_answered(&mut self, answer: Result<Board, String>) {
        self.board.fetching = false;
        match answer {
            Ok(b) => {
                self.board.data = Some(b);
                self.board.error = None;
            }
            Err(e) => self.board.error = Some(e),
        }
    }

    pub(super) fn share(&mut self, run_id: String) {
        if self.board.sharing.is_some() {
            return;
        }
        let nickname = self.board.nickname.trim().to_string();
        if nickname.is_empty() {
            let text = self.lang().nickname_first();
            return self.notify(text.to_string(), true);
        }
        let Some(run) = self.runs.get(&run_id) else {
            return;
        };
        let request = ShareRequest {
            nickname,
            label: self.board.label.trim().to_string(),
            report: serde_json::to_value(&run.report).unwrap_or_default(),
        };
        let Ok(body) = serde_json::to_vec(&request) else {
            return;
        };
        self.board.sharing = Some(run_id.clone());
        self.effects.push(Effect::ShareRun { run_id, body });
    }

    pub(super) fn shared(&mut self, run_id: String, answer: Result<u64, Refused>) {
        self.board.sharing = None;
        match answer {
            Ok(id) => {
                self.board.shared.push((run_id, id));
                let text = self.lang().shared_note();
                self.notify(text.to_string(), false);
            }
            Err(refused) => {
                let text = self.lang().native_refused(&refused);
                let detail = match &refused {
                    Refused::Api(e) => Some(e.to_string()),
                    Refused::Network(_) => None,
                };
                self.push_notice(text, detail, true, None);
            }
        }
    }

    pub(super) fn teacher(&mut self, action: TeacherAction) {
        if self.is_teacher() {
            self.effects.push(Effect::TeacherCall {
                code: self.url.teacher.clone(),
                action,
            });
        }
    }

    pub(super) fn teacher_done(&mut self, answer: Result<(), Refused>) {
        if let Err(refused) = answer {
            let text = self.lang().native_refused(&refused);
            self.push_notice(text, None, true, None);
        }
        // Show the change at once rather than at the next tick.
        self.board.fetching = false;
        self.board_tick();
    }
}
