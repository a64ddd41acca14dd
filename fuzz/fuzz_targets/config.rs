//! The `.config` / `config.gz` reader (gzip is detected by content).
#![no_main]

use layout_expert::config::ConfigFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = ConfigFile::parse_bytes("fuzz.config", data) {
        let _ = config.autoconf_h();
    }
});
