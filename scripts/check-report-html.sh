#!/usr/bin/env bash
# Opens a monthly report in headless Chromium (Debian's `chromium`), takes a screenshot, and fails if the page is
# blank, shows an error, or lacks a section or its charts.
# Usage: scripts/check-report-html.sh Reports/2026-11/report.html [screenshot.png]
set -euo pipefail
html=$(realpath "$1")
shot=${2:-"${html%.html}.png"}
command -v chromium >/dev/null || { echo "chromium is not installed: apt-get install -y chromium" >&2; exit 2; }
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files)

dom=$(chromium "${flags[@]}" --dump-dom "file://$html" 2>/dev/null)
for needle in "1. Summary" "2. Uncertainty quality" "3. Where uncertainty is least reliable" "4. NOTA stress tests" \
              "Which accuracy to trust" "5. Calibration changes" "6. Threshold monitor" "7. Drift findings" "8. Data quality" "9. Integrity" "<svg" "Chain head"; do
    grep -qF "$needle" <<<"$dom" || { echo "FAIL: the rendered page lacks \"$needle\"" >&2; exit 1; }
done
if grep -qiE "ERR_FILE_NOT_FOUND|This site can.t be reached|Aw, Snap" <<<"$dom"; then
    echo "FAIL: the browser shows an error page" >&2; exit 1
fi
charts=$(grep -o "<svg" <<<"$dom" | wc -l)

chromium "${flags[@]}" --window-size=1280,2400 --screenshot="$shot" "file://$html" >/dev/null 2>&1
size=$(stat -c %s "$shot")
# A blank page compresses to a few kilobytes; a rendered report with tables and charts is far larger.
if [ "$size" -lt 40000 ]; then echo "FAIL: the screenshot is nearly empty ($size bytes)" >&2; exit 1; fi

# Layout, measured by the browser: every SVG text inside its chart (no clipped title, legend or label), and no section
# empty. A copy of the page carries a script that writes its findings into the DOM.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
probe='<script>
window.addEventListener("load", () => {
  const problems = []; let texts = 0;
  document.querySelectorAll("svg").forEach((svg, i) => {
    const box = svg.getBoundingClientRect();
    svg.querySelectorAll("text").forEach(t => {
      texts++;
      const r = t.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)
        problems.push("chart " + i + " (" + (svg.querySelector("title") || {}).textContent + "): text overflows: " + t.textContent);
    });
  });
  document.querySelectorAll("section").forEach(section => {
    const title = (section.querySelector("h2") || {}).textContent;
    if (section.getBoundingClientRect().height < 40 || section.textContent.trim().length < 40) problems.push("section " + title + " is empty");
  });
  const pre = document.createElement("pre"); pre.id = "layout-check";
  pre.textContent = problems.length ? "LAYOUT-PROBLEMS " + problems.join(" | ") : "LAYOUT-OK " + texts + " texts";
  document.body.appendChild(pre);
});
</script>'
sed "s#</body>#${probe//$'\n'/ }</body>#" "$html" > "$work/probe.html"
layout=$(chromium "${flags[@]}" --window-size=1280,2400 --virtual-time-budget=5000 --dump-dom "file://$work/probe.html" 2>/dev/null \
    | sed -n '/<pre id="layout-check">/,/<\/pre>/p')
case "$layout" in
    *LAYOUT-OK*) ;;
    *LAYOUT-PROBLEMS*) echo "FAIL: $(sed 's/<[^>]*>//g' <<<"$layout")" >&2; exit 1 ;;
    *) echo "FAIL: the layout check did not run in the browser (nothing was checked)" >&2; exit 1 ;;
esac

# A screenshot of each section alone: none may be blank.
sections=$(grep -o "<section>" "$html" | wc -l)
for index in $(seq 1 "$sections"); do
    sed "s#</head>#<style>section:not(:nth-of-type($index)){display:none}header{display:none}</style></head>#" "$html" > "$work/section.html"
    chromium "${flags[@]}" --window-size=1280,1600 --screenshot="$work/section-$index.png" "file://$work/section.html" >/dev/null 2>&1
    section_size=$(stat -c %s "$work/section-$index.png")
    if [ "$section_size" -lt 15000 ]; then echo "FAIL: section $index's screenshot is nearly blank ($section_size bytes)" >&2; exit 1; fi
done
echo "ok: $html rendered with $charts charts, $(sed 's/<[^>]*>//g; s/LAYOUT-OK //' <<<"$layout") inside their charts, $sections sections each non-blank; screenshot $shot ($size bytes)"
