// report.html in a real browser: `yieldflow run` on the bundled samples, then
// headless Chromium (Debian's chromium) loads the page and takes a screenshot.
//
// How console errors are caught (two independent signals, either fails the test):
// 1. A copy of the page gets a small recorder <script> as the first child of
//    <head>, before the page's Content-Security-Policy <meta> (a policy in a
//    <meta> only applies to what follows it, so the recorder runs; the report
//    itself has no script and its policy forbids any). The recorder writes into
//    attributes of <html>: every error event (capture phase: also images that
//    fail to load), every policy violation (a network load attempted), every
//    console.error, images that did not decode, and at `load` the number of
//    images. Chromium's --dump-dom prints the DOM after the load, so the test
//    reads the attributes: loaded must be there, errors must not.
// 2. Chromium runs with --enable-logging=stderr --v=0, which prints every
//    console message of the page as a "CONSOLE" line; the page has no script,
//    so any such line (a policy violation, a failed load) is a failure.
// Every Chromium run is under `timeout -k 10 90`: a hung browser fails, never
// hangs CI. Without Chromium the test fails and says how to install it.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "TestPaths.hpp"
#include "support/TempDir.hpp"

namespace fs = std::filesystem;

namespace {

const char* kRecorder = R"(<script>
(function(){var errs=[];function rec(m){errs.push(String(m));document.documentElement.setAttribute('data-yf-errors',JSON.stringify(errs));}
window.addEventListener('error',function(e){var t=e.target;rec(t&&t!==window&&t.tagName?'failed to load '+t.tagName+' '+String(t.src||t.href||'').slice(0,80):'error: '+e.message);},true);
document.addEventListener('securitypolicyviolation',function(e){rec('blocked by the page policy: '+e.violatedDirective+' '+e.blockedURI);});
var ce=console.error;console.error=function(){rec('console.error: '+Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};
window.addEventListener('load',function(){var n=0,bad=0;for(var i=0;i<document.images.length;++i){var im=document.images[i];++n;if(!(im.complete&&im.naturalWidth>0))++bad;}if(bad)rec(bad+' images not decoded');document.documentElement.setAttribute('data-yf-loaded',String(n));});
})();
</script>
)";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int shell(const std::string& cmd) {
  int raw = std::system(cmd.c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string sh_quote(const fs::path& p) { return "'" + p.string() + "'"; }

std::string chromium() {
  const char* env = std::getenv("YF_CHROMIUM");
  return env && *env ? env : "/usr/bin/chromium";
}

// Headless Chromium with the flags this machine needs (no sandbox as root, no
// GPU, no background network: the closed network refuses those connections).
std::string chromium_command(const fs::path& profile, const std::string& args, const fs::path& out,
                             const fs::path& err) {
  return "timeout -k 10 90 " + chromium() +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=" +
         sh_quote(profile) + " " + args + " > " + sh_quote(out) + " 2> " + sh_quote(err);
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("report: Chromium loads report.html of a sample run without errors and takes a screenshot",
          "[report][browser]") {
  if (::access(chromium().c_str(), X_OK) != 0)
    FAIL("headless Chromium not found at " + chromium() +
         ": install Debian's chromium package (scripts/install-deps.sh installs it), or set YF_CHROMIUM");
  yf::test::TempDir dir;
  const fs::path out = dir.path() / "out";
  REQUIRE(shell(std::string(YF_EXE) + " run -q --no-progress -o " + sh_quote(out) + " > " + sh_quote(dir.path() / "run.log") +
                " 2>&1") == 0);
  const fs::path report = out / "report.html";
  REQUIRE(fs::exists(report));
  const std::string html = slurp(report);
  const std::size_t images = count(html, "<img ");
  CHECK(images > 0);  // stacked maps and the worst wafers' gallery

  SECTION("no console error, every image decodes") {
    std::string probe = html;
    std::size_t head = probe.find("<head>");
    REQUIRE(head != std::string::npos);
    probe.insert(head + 6, kRecorder);
    const fs::path probe_path = dir.path() / "probe.html";
    std::ofstream(probe_path, std::ios::binary) << probe;
    const fs::path dom = dir.path() / "dom.html", log = dir.path() / "chromium.log";
    int status = shell(chromium_command(dir.path() / "profile1",
                                        "--enable-logging=stderr --v=0 --virtual-time-budget=10000 --dump-dom file://" +
                                            probe_path.string(),
                                        dom, log));
    INFO("chromium log:\n" << slurp(log).substr(0, 4000));
    REQUIRE(status == 0);  // 124: timed out
    const std::string text = slurp(dom);
    std::smatch loaded;
    REQUIRE(std::regex_search(text, loaded, std::regex(R"re(data-yf-loaded="(\d+)")re")));
    CHECK(std::stoul(loaded[1]) == images);
    std::smatch errors;
    bool has_errors = std::regex_search(text, errors, std::regex(R"re(data-yf-errors="([^"]*)")re"));
    CHECK_FALSE(has_errors);
    if (has_errors) FAIL_CHECK("page errors: " << errors[1]);
    std::istringstream lines(slurp(log));
    for (std::string line; std::getline(lines, line);)
      if (line.find("CONSOLE") != std::string::npos) FAIL_CHECK("console message: " << line);
  }

  SECTION("the screenshot shows a page, not a blank") {
    const fs::path shot = dir.path() / "report.png", log = dir.path() / "screenshot.log";
    int status = shell(chromium_command(dir.path() / "profile2",
                                        "--hide-scrollbars --window-size=1280,2400 --screenshot=" + sh_quote(shot) +
                                            " file://" + report.string(),
                                        dir.path() / "screenshot.out", log));
    INFO("chromium log:\n" << slurp(log).substr(0, 4000));
    REQUIRE(status == 0);
    REQUIRE(fs::exists(shot));
    CHECK(fs::file_size(shot) > 50'000);  // a blank 1280 x 2400 PNG is a few KB
    cv::Mat img = cv::imread(shot.string(), cv::IMREAD_COLOR);
    REQUIRE(img.cols == 1280);
    REQUIRE(img.rows == 2400);
    std::set<std::uint32_t> colours;
    std::size_t ink = 0;
    for (int y = 0; y < img.rows; y += 2)
      for (int x = 0; x < img.cols; x += 2) {
        cv::Vec3b p = img.at<cv::Vec3b>(y, x);
        colours.insert((std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2]);
        if (p[0] < 200 || p[1] < 200 || p[2] < 200) ++ink;
      }
    CHECK(colours.size() > 100);  // text, charts and maps, not one flat colour
    double ink_share = static_cast<double>(ink) / (static_cast<double>(img.rows / 2) * (img.cols / 2));
    CHECK(ink_share > 0.02);
    CHECK(ink_share < 0.8);
    // Kept for a look: BUILD/tests/report/report-screenshot.png.
    std::error_code ec;
    fs::copy_file(shot, fs::path(yf::test::kBinaryDir) / "tests" / "report" / "report-screenshot.png",
                  fs::copy_options::overwrite_existing, ec);
  }
}
