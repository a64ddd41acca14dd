//! Outputs: the serializable mirrors of our layouts. Only this module serializes.

pub mod layout_json;
