//! The protobuf codec of every kandas service: prost, except that a request body that does
//! not decode is the caller's mistake — INVALID_ARGUMENT with our error details — not the
//! INTERNAL that the stock codec answers.

use crate::error::ApiError;
use prost::Message;
use std::marker::PhantomData;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

#[derive(Debug, Clone)]
pub struct KandasCodec<T, U> {
    _pd: PhantomData<(T, U)>,
}

impl<T, U> Default for KandasCodec<T, U> {
    fn default() -> Self {
        Self { _pd: PhantomData }
    }
}

impl<T, U> Codec for KandasCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = KandasDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::default()
    }

    fn decoder(&mut self) -> Self::Decoder {
        KandasDecoder { _pd: PhantomData }
    }
}

#[derive(Debug, Clone)]
pub struct KandasDecoder<U> {
    _pd: PhantomData<U>,
}

impl<U: Message + Default> Decoder for KandasDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf).map(Some).map_err(|error| {
            ApiError::field(
                "(request body)",
                format!("not a valid protobuf message of this RPC: {error}"),
            )
            .into()
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}
