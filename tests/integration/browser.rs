//! The description in a real browser: headless Chromium loads a page holding three
//! descriptions the binary wrote — one address in London, one in Sydney, and 2,000 addresses
//! with hostile place names — and a small inline script checks that each map image loaded
//! (`naturalWidth > 0`), then draws the two single-address maps onto canvases and lists the
//! pixels that differ. Those pixels must lie around the projected positions of London and
//! Sydney, London's pin in London's map and Sydney's in Sydney's.
//!
//! Chromium is required: without it the test fails, saying how to install it (`.ci/run`
//! installs it). `CHROMIUM=/path` picks the browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs};

use maxmind_geolocate::worldmap::{Options, pin_position};
use serde_json::json;

use crate::map::{LONDON, Place, SEOUL, SYDNEY, database, describe};

/// Runs in the page once everything has loaded; writes its findings into `<pre id="result">`.
const SCRIPT: &str = r#"
window.addEventListener('load', () => {
  const out = [];
  const image = (id) => document.querySelector(`#${id} img`);
  for (const id of ['london', 'sydney', 'many']) {
    const img = image(id);
    out.push(img ? `loaded ${id} ${img.naturalWidth} ${img.naturalHeight}` : `missing ${id}`);
    // Elements a hostile place name could have injected.
    const el = document.getElementById(id);
    out.push(`elements ${id} ${el.querySelectorAll('img').length} ${el.querySelectorAll('script').length}`);
  }
  const pixels = (img) => {
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return ctx.getImageData(0, 0, c.width, c.height).data;
  };
  try {
    const a = pixels(image('london'));
    const b = pixels(image('sydney'));
    const w = image('london').naturalWidth;
    let n = 0;
    for (let i = 0; i < a.length; i += 4) {
      const d = Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
      if (d > 24) {
        const p = i / 4;
        // Which map has the pin here: the redder one.
        const who = (a[i] - a[i + 2]) > (b[i] - b[i + 2]) ? 'L' : 'S';
        if (n++ < 20000) out.push(`diff ${p % w} ${Math.floor(p / w)} ${who}`);
      }
    }
    out.push(`diffs ${n}`);
  } catch (e) {
    out.push(`error ${e}`);
  }
  document.getElementById('result').textContent = out.join('\n');
});
"#;

/// The browser: `$CHROMIUM`, else the first of the usual names on `PATH`; the test fails
/// without one.
pub fn chromium() -> PathBuf {
    let found = match env::var_os("CHROMIUM") {
        Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
        None => env::var_os("PATH").and_then(|path| {
            env::split_paths(&path)
                .flat_map(|dir| {
                    [
                        "chromium",
                        "chromium-browser",
                        "google-chrome",
                        "google-chrome-stable",
                    ]
                    .map(|name| dir.join(name))
                })
                .find(|candidate| candidate.is_file())
        }),
    };
    found.unwrap_or_else(|| {
        panic!(
            "this test renders the description in Chromium and found none: apt-get install -y chromium \
             (.ci/run does), or set CHROMIUM=/path/to/chrome"
        )
    })
}

/// Runs the browser on `page` and returns the DOM it dumps, killing it after a minute.
fn dump_dom(browser: &Path, page: &Path, profile: &Path) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", browser.display()));
    // Read the DOM while the browser runs: it is larger than a pipe's buffer.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut dom = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut dom).map(|_| dom)
    });
    let started = Instant::now();
    while child.try_wait().expect("waiting for chromium").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader
        .join()
        .expect("reader thread")
        .expect("chromium's output is UTF-8")
}

/// The description the binary writes for the addresses of a generated database.
fn description_of(n: u32, place: impl Fn(u32) -> Place) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ips = database(dir.path(), n, place);
    let run = describe(dir.path(), &ips, json!({}));
    run.json["description"]
        .as_str()
        .unwrap_or_else(|| panic!("no description: {}", run.json))
        .to_owned()
}

#[test]
fn the_description_s_map_loads_in_chromium_and_a_pin_stands_on_its_city() {
    let browser = chromium();
    let london = description_of(1, |_| LONDON);
    let sydney = description_of(1, |_| SYDNEY);
    let many = description_of(2_000, |i| Place {
        // Hostile names must not break the document or the image.
        city: Some(
            [
                "<script>alert(1)</script>",
                "\"><img src=x>",
                "Zürich & 東京",
            ][i as usize % 3],
        ),
        lat: f64::from(i % 150) - 65.0 + f64::from(i / 150) * 0.013,
        lon: f64::from(i * 37 % 360) - 180.0 + 0.5,
        radius: [5, 500, 1000][i as usize % 3],
        ..SEOUL
    });
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"></head><body>\n\
         <div id=\"london\">{london}</div>\n<div id=\"sydney\">{sydney}</div>\n<div id=\"many\">{many}</div>\n\
         <pre id=\"result\">script did not run</pre><script>{SCRIPT}</script></body></html>\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    fs::create_dir_all(&profile).unwrap();
    let file = dir.path().join("descriptions.html");
    fs::write(&file, page).unwrap();
    let dom = dump_dom(&browser, &file, &profile);

    let result = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result in the DOM chromium dumped:\n{dom}"));
    assert!(!result.contains("error "), "{result}");
    for id in ["london", "sydney", "many"] {
        let line = result
            .lines()
            .find(|l| l.starts_with(&format!("loaded {id} ")))
            .unwrap_or_else(|| panic!("{id}'s map is missing:\n{result}"));
        let width: u32 = line.split(' ').nth(2).unwrap().parse().unwrap();
        assert_eq!(width, 960, "{id}'s map did not load: {line}");
        // One image (the map) and no script: the hostile names stayed text.
        assert!(
            result.lines().any(|l| l == format!("elements {id} 1 0")),
            "{id}: {result}"
        );
    }

    // The pixels that differ between London's and Sydney's maps: pins only (the legends read
    // the same), each within its pin's radius (+ outline, antialiasing) of its city.
    let diffs: Vec<(f64, f64, char)> = result
        .lines()
        .filter_map(|l| l.strip_prefix("diff "))
        .map(|l| {
            let mut f = l.split(' ');
            let x: f64 = f.next().unwrap().parse().unwrap();
            let y: f64 = f.next().unwrap().parse().unwrap();
            (x + 0.5, y + 0.5, f.next().unwrap().chars().next().unwrap())
        })
        .collect();
    let options = Options::default();
    let at = |p: &Place| pin_position(p.lat, p.lon, &options).unwrap();
    let (london, sydney) = (at(&LONDON), at(&SYDNEY));
    let near = |(x, y): (f64, f64), (cx, cy): (f64, f64)| (x - cx).hypot(y - cy) <= 6.0;
    assert!(diffs.len() >= 20, "too few differing pixels: {result}");
    for &(x, y, who) in &diffs {
        let expected = if near((x, y), london) {
            'L'
        } else if near((x, y), sydney) {
            'S'
        } else {
            panic!("pixel ({x}, {y}) differs, far from London {london:?} and Sydney {sydney:?}")
        };
        assert_eq!(
            who, expected,
            "pixel ({x}, {y}) belongs to the other map's pin"
        );
    }
    // Each pin is drawn centred on its city.
    for (city, at, tag) in [("London", london, 'L'), ("Sydney", sydney, 'S')] {
        let own: Vec<_> = diffs.iter().filter(|d| d.2 == tag).collect();
        assert!(own.len() >= 10, "{city}'s pin is missing");
        let cx = own.iter().map(|d| d.0).sum::<f64>() / own.len() as f64;
        let cy = own.iter().map(|d| d.1).sum::<f64>() / own.len() as f64;
        assert!(
            (cx - at.0).abs() < 1.0 && (cy - at.1).abs() < 1.0,
            "{city}'s pin is centred at ({cx:.1}, {cy:.1}), not at {at:?}"
        );
    }
}
