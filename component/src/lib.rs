// SPDX-License-Identifier: Apache-2.0
//! Shroud as a WASI component: the `shroud:sanitizer` WIT interface
//! (`../wit`) over `shroud-engine`. A thin adapter — every decision is the
//! engine's; this crate only maps types. Nothing here panics on input:
//! failures are WIT results.

mod convert;
mod models;

// The generated canonical-ABI glue is `unsafe` by nature; our code is not.
#[allow(unsafe_code, reason = "wit-bindgen's generated export glue")]
mod bindings {
    wit_bindgen::generate!({ path: "../wit", world: "sanitizer" });
    use super::Component;
    export!(Component);
}

use bindings::exports::shroud::sanitizer::engine as wit;
use bindings::exports::shroud::sanitizer::types::{ConfigError, Finding, ModelFile};
use shroud_engine::config::SurfaceKind;
use shroud_engine::stream::{DeltaTransform, Rehydrator};
use shroud_engine::vault::Vault;
use shroud_engine::{RequestInfo, RequestOutcome, ResponseProcessor, Route};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The component's export root.
struct Component;

impl wit::Guest for Component {
    type Engine = EngineResource;
    type Session = SessionResource;
    type ResponseStream = ResponseStreamResource;
    type TextStream = TextStreamResource;
}

/// `engine` resource: one compiled configuration, shared with its sessions.
struct EngineResource {
    engine: Rc<shroud_engine::Engine>,
}

impl wit::GuestEngine for EngineResource {
    fn create(config: String) -> Result<wit::Engine, ConfigError> {
        let engine =
            shroud_engine::Engine::new(config.as_bytes()).map_err(convert::config_error)?;
        Ok(wit::Engine::new(EngineResource {
            engine: Rc::new(engine),
        }))
    }

    fn create_with_models(
        config: String,
        models: Vec<ModelFile>,
    ) -> Result<wit::Engine, ConfigError> {
        if models.is_empty() {
            return Self::create(config);
        }
        let engine = models::engine_with(&config, &models)?;
        Ok(wit::Engine::new(EngineResource {
            engine: Rc::new(engine),
        }))
    }

    fn scan(&self, text: String) -> Vec<Finding> {
        self.engine
            .scan(&text)
            .into_iter()
            .map(convert::finding)
            .collect()
    }

    fn sanitize(&self, request: wit::Request) -> Result<wit::Outcome, wit::Rejection> {
        let headers = convert::headers(&request);
        let authority = headers
            .iter()
            .find(|(k, _)| k == ":authority" || k == "host")
            .map_or("", |(_, v)| v.as_str());
        let info = RequestInfo {
            path: request.path.as_deref().unwrap_or(""),
            authority,
            headers: &headers,
            route_name: None,
            route_profile: request.profile.as_deref(),
        };
        let mut route = self.engine.route(&info);
        route.surface = Some(match request.surface {
            Some(surface) => convert::surface_in(surface),
            None => route.surface.unwrap_or(SurfaceKind::Generic),
        });
        let outcome =
            self.engine
                .sanitize_request(&route, request.content_type.as_deref(), &request.body);
        match outcome {
            RequestOutcome::Forward {
                body,
                session,
                report,
            } => Ok(wit::Outcome {
                body,
                report: convert::report(report),
                session: wit::Session::new(SessionResource {
                    engine: Rc::clone(&self.engine),
                    route,
                    session,
                }),
            }),
            RequestOutcome::Reject(rejection) => Err(wit::Rejection {
                status: rejection.status,
                body: rejection.body,
                report: convert::report(rejection.report),
            }),
        }
    }
}

/// `session` resource: a request's vault and profile, reusable for any
/// number of responses (the engine's session clones share the vault).
struct SessionResource {
    engine: Rc<shroud_engine::Engine>,
    route: Route,
    session: shroud_engine::Session,
}

impl SessionResource {
    fn processor(&self, content_type: Option<&str>) -> ResponseProcessor {
        self.engine
            .response_processor(&self.route, self.session.clone(), content_type)
    }
}

impl wit::GuestSession for SessionResource {
    fn masked_values(&self) -> u32 {
        u32::try_from(self.session.masked_values()).unwrap_or(u32::MAX)
    }

    fn process_response(&self, content_type: Option<String>, body: Vec<u8>) -> Vec<u8> {
        let mut processor = self.processor(content_type.as_deref());
        let mut out = processor.push(&body);
        out.extend(processor.finish());
        out
    }

    fn response_stream(&self, content_type: Option<String>) -> wit::ResponseStream {
        wit::ResponseStream::new(ResponseStreamResource {
            processor: RefCell::new(self.processor(content_type.as_deref())),
        })
    }

    fn text_stream(&self) -> wit::TextStream {
        // A session that masked nothing restores nothing: an empty vault
        // makes the same stream pass text through unchanged.
        let rehydrator = self
            .session
            .text_rehydrator()
            .unwrap_or_else(|| Rehydrator::new(Arc::new(Vault::new(None, 0))));
        wit::TextStream::new(TextStreamResource {
            rehydrator: RefCell::new(rehydrator),
        })
    }
}

/// `response-stream` resource over the engine's `ResponseProcessor`.
struct ResponseStreamResource {
    processor: RefCell<ResponseProcessor>,
}

impl wit::GuestResponseStream for ResponseStreamResource {
    fn push(&self, chunk: Vec<u8>) -> Vec<u8> {
        // Single-threaded and never re-entered: the borrow cannot fail, but
        // a failed one yields nothing rather than a trap.
        self.processor
            .try_borrow_mut()
            .map(|mut p| p.push(&chunk))
            .unwrap_or_default()
    }

    fn finish(&self) -> Vec<u8> {
        self.processor
            .try_borrow_mut()
            .map(|mut p| p.finish())
            .unwrap_or_default()
    }

    fn redactions(&self) -> u64 {
        self.processor
            .try_borrow()
            .map(|p| p.redactions())
            .unwrap_or_default()
    }
}

/// `text-stream` resource over the engine's streaming `Rehydrator`.
struct TextStreamResource {
    rehydrator: RefCell<Rehydrator<Arc<Vault>>>,
}

impl wit::GuestTextStream for TextStreamResource {
    fn push(&self, delta: String) -> String {
        self.rehydrator
            .try_borrow_mut()
            .map(|mut r| r.push(&delta))
            .unwrap_or_default()
    }

    fn finish(&self) -> String {
        self.rehydrator
            .try_borrow_mut()
            .map(|mut r| r.finish())
            .unwrap_or_default()
    }
}
