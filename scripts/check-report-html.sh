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
              "Which accuracy to trust" "5. Calibration changes" "6. Drift findings" "7. Data quality" "8. Integrity" "<svg" "Chain head"; do
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
echo "ok: $html rendered with $charts charts; screenshot $shot ($size bytes)"
