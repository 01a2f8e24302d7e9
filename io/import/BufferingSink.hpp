#pragma once
// Sinks that let an importer try a fast reader first and start again with a safe one
// (SEMI E142: SemiXmlFast, then libxml2) without the destination seeing anything twice.
// - BufferingSink holds what the fast reader hands over and delivers it only when the
//   file is done (flush), so that a restart normally leaves no trace. Past `max_cells`
//   bin-map cells held (a file too large to hold), it delivers what it holds and
//   forwards from then on; delivered() says how many calls went through.
// - SkippingSink drops the first n calls, those the fast reader already delivered
//   (the safe reader makes the same calls in the same order: tests and a
//   differential fuzzer check that), and forwards the rest.
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "io/import/ImportSink.hpp"

namespace yf::import {

class BufferingSink : public ImportSink {
 public:
  BufferingSink(ImportSink& out, std::size_t max_cells) : out_(out), max_cells_(max_cells) {}

  void add_product(const ProductGeometry& p) override {
    Event e{Event::kProduct};
    e.product = p;
    hold(std::move(e));
  }
  void add_defect_classes(const std::vector<DefectClass>& c) override {
    Event e{Event::kClasses};
    e.classes = c;
    hold(std::move(e));
  }
  void add_bins(const std::vector<BinDef>& b) override {
    Event e{Event::kBins};
    e.bins = b;
    hold(std::move(e));
  }
  void add_wafer(WaferRecord w) override {
    cells_ += w.binmap ? w.binmap->bins.size() : 0;
    Event e{Event::kWafer};
    e.wafer = std::move(w);
    hold(std::move(e));
    if (cells_ > max_cells_) flush();
  }
  void warning(const std::string& where, const std::string& message) override {
    Event e{Event::kWarning};
    e.where = where;
    e.message = message;
    hold(std::move(e));
  }

  // Delivers everything held; later calls go straight through.
  void flush() {
    for (auto& e : held_) deliver(std::move(e));
    held_.clear();
    forwarding_ = true;
  }
  std::size_t delivered() const { return delivered_; }

 private:
  struct Event {  // one call; only the members of its kind are set
    enum Kind { kProduct, kClasses, kBins, kWafer, kWarning } kind;
    ProductGeometry product{};
    std::vector<DefectClass> classes{};
    std::vector<BinDef> bins{};
    WaferRecord wafer{};
    std::string where{}, message{};
  };

  void hold(Event e) {
    if (forwarding_) deliver(std::move(e));
    else held_.push_back(std::move(e));
  }
  void deliver(Event&& e) {
    ++delivered_;
    switch (e.kind) {
      case Event::kProduct: out_.add_product(e.product); break;
      case Event::kClasses: out_.add_defect_classes(e.classes); break;
      case Event::kBins: out_.add_bins(e.bins); break;
      case Event::kWafer: out_.add_wafer(std::move(e.wafer)); break;
      case Event::kWarning: out_.warning(e.where, e.message); break;
    }
  }

  ImportSink& out_;
  std::size_t max_cells_, cells_ = 0, delivered_ = 0;
  bool forwarding_ = false;
  std::vector<Event> held_;
};

class SkippingSink : public ImportSink {
 public:
  SkippingSink(ImportSink& out, std::size_t skip) : out_(out), skip_(skip) {}
  void add_product(const ProductGeometry& p) override {
    if (pass()) out_.add_product(p);
  }
  void add_defect_classes(const std::vector<DefectClass>& c) override {
    if (pass()) out_.add_defect_classes(c);
  }
  void add_bins(const std::vector<BinDef>& b) override {
    if (pass()) out_.add_bins(b);
  }
  void add_wafer(WaferRecord w) override {
    if (pass()) out_.add_wafer(std::move(w));
  }
  void warning(const std::string& where, const std::string& message) override {
    if (pass()) out_.warning(where, message);
  }

 private:
  bool pass() { return skip_ == 0 || (--skip_, false); }
  ImportSink& out_;
  std::size_t skip_;
};

}  // namespace yf::import
