//! `uploadImage`: the caller's picture is read only as far as its rules need (its length and
//! first `SNIFF_BYTES` bytes, copied into wasm), then sent as the very JS object it was, so its
//! bytes never enter wasm memory. The rules are `crate::upload`'s; the request is
//! `engine::upload_request`'s, sent by the one call path (`DreaminaClient::call`, with
//! `Arg::Picture`), which reads the picture with `picture` and the default account with
//! `first_account`.

use js_sys::{ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, ReadableStream};

use super::client::{Arg, DreaminaClient};
use super::convert::{at, length, object_keys, to_val};
use super::transport::JsTransport;
use crate::endpoint::{LIST_ACCOUNTS, UPLOAD_IMAGE};
use crate::engine;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::upload::{self, ImageType, SNIFF_BYTES};

#[wasm_bindgen]
impl DreaminaClient {
    /// Uploads a picture of your own (`POST /assets/{account}`) and resolves with the asset:
    /// use its `assetRef` as `imageRef_1` of `generate`. `data` is a `Blob`/`File`,
    /// `ArrayBuffer`, `Uint8Array` or `ReadableStream` of a JPEG, PNG or WebP, at most 10 MiB;
    /// its type is told by its first bytes (not by a name or a `Blob`'s declared type) and sent
    /// as its `Content-Type`. Anything else is a `validation` error naming `data`, and nothing
    /// is sent. Without `options.account`, the picture goes to the first account
    /// `GET /accounts` lists. A failed upload is sent again only when the API certainly did not
    /// take it (429, or a connection refused), as job POSTs.
    #[wasm_bindgen(js_name = uploadImage, unchecked_return_type = "Promise<Asset>")]
    pub fn upload_image(
        &self,
        #[wasm_bindgen(unchecked_param_type = "UploadData")] data: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "UploadOptions")] options: JsValue,
    ) -> Promise {
        self.call(&UPLOAD_IMAGE, Arg::Picture(data), options)
    }
}

/// The first account `GET /accounts` lists (only its key is copied into wasm).
pub(super) async fn first_account(
    t: &JsTransport<'_>,
    base: &str,
    timeout: u32,
    policy: &RetryPolicy,
) -> Result<String> {
    let accounts = engine::call(t, &LIST_ACCOUNTS, base, "", timeout, policy).await?;
    // The bindings `convert` reads options with: each js-sys one used instead is an import more.
    let first = object_keys(&accounts)
        .ok()
        .and_then(|keys| at(&keys, 0).as_string());
    upload::first_account(first)
}

/// The body to send and the picture's type, once checked by its length and first bytes: the
/// caller's object itself, or for a `ReadableStream` a `Blob` gathered from it in JS.
pub(super) async fn picture(data: &JsValue) -> Result<(JsValue, ImageType)> {
    let blob = match data.dyn_ref::<ReadableStream>() {
        Some(stream) => Some(gathered(stream).await?),
        None => data.dyn_ref::<Blob>().cloned(),
    };
    let (body, len, first) = if let Some(blob) = blob {
        let (len, first) = (blob.size(), start_of(&blob).await?);
        (blob.into(), len, first)
    } else if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
        // A byte view's `length` is its byte length: one way to read both kinds of data.
        let bytes = Uint8Array::new(buffer).into();
        (data.clone(), length(&bytes), first_bytes(&bytes))
    } else if data.is_instance_of::<Uint8Array>() {
        (data.clone(), length(data), first_bytes(data))
    } else {
        return Err(upload::wrong_data(&to_val(data)));
    };
    Ok((body, upload::check_picture(len, &first)?))
}

/// The first `SNIFF_BYTES` bytes of a `Blob` (a slice read on its own: the rest stays unread).
async fn start_of(blob: &Blob) -> Result<Vec<u8>> {
    let read = async {
        let start = blob.slice_with_i32_and_i32(0, SNIFF_BYTES as i32)?;
        let buffer = JsFuture::from(start.array_buffer()).await?;
        Ok::<_, JsValue>(first_bytes(&Uint8Array::new(&buffer).into()))
    };
    read.await
        .map_err(|_| unreadable("its first bytes could not be read"))
}

/// A `ReadableStream` read to its end into a `Blob`, by `new Response(stream).blob()`: its
/// chunks stay in JS. (A stream's length is unknown until it ends, and a stream sent as a
/// fetch body could neither be sent again after a 429 nor be sent at all by most browsers.)
async fn gathered(stream: &ReadableStream) -> Result<Blob> {
    let read = async {
        let response = web_sys::Response::new_with_opt_readable_stream(Some(stream))?;
        Ok::<_, JsValue>(JsFuture::from(response.blob()?).await?.unchecked_into())
    };
    read.await.map_err(|_| {
        unreadable("the stream could not be read to its end (is it locked or already read, or are its chunks not Uint8Arrays?)")
    })
}

/// The first `SNIFF_BYTES` bytes (or fewer) of a view, read one by one: all that is copied.
fn first_bytes(bytes: &JsValue) -> Vec<u8> {
    let n = (length(bytes) as u32).min(SNIFF_BYTES);
    (0..n)
        .map(|i| at(bytes, i).as_f64().unwrap_or(0.0) as u8)
        .collect()
}

fn unreadable(why: &str) -> Error {
    Error::validation("data", why.to_string())
}
