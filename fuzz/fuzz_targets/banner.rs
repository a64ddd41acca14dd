//! The memory-image banner scanner, on the input as an image file (the scanner reads in chunks,
//! so banners across chunk boundaries and at the end are exercised by long inputs).
#![no_main]

use layout_expert::profile::banner::{choose, release_of, scan_candidates};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("layout-expert-fuzz-banner-{}", std::process::id()));
    std::fs::write(&path, data).expect("the temporary directory is writable");
    if let Ok(candidates) = scan_candidates(&path) {
        for c in &candidates {
            assert_eq!(release_of(&c.text), Some(c.release.as_str()));
        }
        let _ = choose(&candidates, "6.1.0-56-amd64");
    }
});
