#include "perceive/privacy_map.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace vigie::perceive {
namespace {

void add_mask(cv::Mat& cover, const cv::Mat& mask) {
  if (!mask.empty() && mask.size() == cover.size()) cover |= mask;
}

/// True when the patch has a pattern a correlation can compare (as structure_changed sees it).
bool textured(const cv::Mat& bgr) {
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::Scalar mean, stddev;
  cv::meanStdDev(gray, mean, stddev);
  return stddev[0] >= 8;
}

}  // namespace

PrivacyMap::PrivacyMap(PrivacyMapConfig config) : config_(config) {}

PrivacyRegions PrivacyMap::update(const cv::Mat& frame, const ForegroundMasks& masks,
                                  const std::vector<cv::Rect>& boxes, double t_s,
                                  const PersonHeightAt& height,
                                  const std::vector<FollowedPerson>& followed) {
  std::vector<cv::Rect> lost;
  follow(followed, t_s, height, lost);
  // While the models learn, or when the light changed over the whole view, the masks say
  // nothing (they are empty): a walker would be shown. Nothing is learnt from such a frame.
  if (masks.warming_up || masks.illumination_change || frame.empty()) {
    return {true, {}};
  }
  if (held_.size() != frame.size()) {
    held_ = cv::Mat::zeros(frame.size(), CV_8U);
    seen_ = cv::Mat::zeros(frame.size(), CV_32F);
    clear_ = frame.clone();
  }
  cv::Mat cover = cv::Mat::zeros(frame.size(), CV_8U);
  // Every foreground the models give, before any size or shape filter: a person too small
  // or too large for a blob, or merged with others, is still foreground.
  add_mask(cover, masks.moving);
  add_mask(cover, masks.static_fg);
  add_mask(cover, masks.slow_area);
  const cv::Rect image(0, 0, frame.cols, frame.rows);
  for (const cv::Rect& b : boxes) {
    const cv::Rect r = b & image;
    if (!r.empty()) cover(r).setTo(255);
  }

  release(frame, cover, t_s);
  held_ |= cover;
  seen_.setTo(static_cast<float>(t_s), cover);
  // What is not held shows the scene as it is: the reference a leaver's place comes back to.
  frame.copyTo(clear_, ~held_);
  std::vector<cv::Rect> out = held_regions(height);
  out.insert(out.end(), lost.begin(), lost.end());
  return {false, std::move(out)};
}

void PrivacyMap::follow(const std::vector<FollowedPerson>& followed, double t_s,
                        const PersonHeightAt& height, std::vector<cv::Rect>& out) {
  // What counts is where each was last seen: a coasting track's box is a guess.
  for (const FollowedPerson& p : followed) {
    const auto known = followed_.find(p.id);
    if (p.last_seen_s >= t_s || known == followed_.end()) {
      followed_[p.id] = p;
    } else {
      known->second.velocity_px_s = p.velocity_px_s;
    }
  }
  std::erase_if(followed_, [&](const auto& entry) {
    return t_s - entry.second.last_seen_s > config_.lost_person_hold_s;
  });
  if (held_.empty()) return;
  const cv::Rect2d image(0, 0, held_.cols, held_.rows);
  for (const auto& [id, p] : followed_) {
    const double lost_for = t_s - p.last_seen_s;
    if (lost_for <= 0.0) continue;  // seen in this frame: the boxes and masks hide them
    // Lost, they may have walked on, stopped or turned back: hidden is everywhere they can
    // have reached since, at a walking pace or at their own if faster, a person's size there
    // at least.
    const cv::Point2d foot(p.box.x + p.box.width / 2.0, p.box.br().y);
    const double h = std::max(p.box.height, height ? height(foot) : 0.0);
    const double w = std::max(p.box.width, 0.5 * h);
    const double speed = std::max(config_.walking_heights_per_s * h, cv::norm(p.velocity_px_s));
    const double reach = speed * lost_for;
    const cv::Rect2d where(foot.x - w / 2.0 - reach, foot.y - h - reach, w + 2.0 * reach,
                           h + 2.0 * reach);
    const cv::Rect2d clipped = where & image;
    if (clipped.area() <= 0.0) continue;
    out.emplace_back(cv::Point(static_cast<int>(std::floor(clipped.x)),
                               static_cast<int>(std::floor(clipped.y))),
                     cv::Point(static_cast<int>(std::ceil(clipped.br().x)),
                               static_cast<int>(std::ceil(clipped.br().y))));
  }
}

void PrivacyMap::release(const cv::Mat& frame, const cv::Mat& cover, double t_s) {
  if (cv::countNonZero(held_) == 0) return;
  // Judged per region, not per pixel: a person whose clothes match the floor in places
  // would otherwise be shown through the holes. Regions are what is held outside this
  // frame's change, so the trail a walker leaves is judged apart from where they are now.
  cv::Mat labels;
  const int n = cv::connectedComponents(held_ & ~cover, labels, 8, CV_32S);
  if (n <= 1) return;
  struct Tally {
    int pixels = 0;
    int back = 0;  // pixels showing what was there before
    float last_seen = 0;
    int x0 = INT_MAX, y0 = INT_MAX, x1 = -1, y1 = -1;  // bounding box
  };
  std::vector<Tally> tally(static_cast<std::size_t>(n));
  for (int y = 0; y < held_.rows; ++y) {
    const int* label = labels.ptr<int>(y);
    const cv::Vec3b* now = frame.ptr<cv::Vec3b>(y);
    const cv::Vec3b* before = clear_.ptr<cv::Vec3b>(y);
    const float* s = seen_.ptr<float>(y);
    for (int x = 0; x < held_.cols; ++x) {
      if (label[x] == 0) continue;
      Tally& t = tally[static_cast<std::size_t>(label[x])];
      ++t.pixels;
      // How far the pixel is from what it showed before: its largest channel difference,
      // computed only where a region is judged.
      int differs = 0;
      for (int c = 0; c < 3; ++c) differs = std::max(differs, std::abs(now[x][c] - before[x][c]));
      if (differs <= config_.release_tolerance) ++t.back;
      t.last_seen = std::max(t.last_seen, s[x]);
      t.x0 = std::min(t.x0, x);
      t.x1 = std::max(t.x1, x);
      t.y0 = std::min(t.y0, y);
      t.y1 = std::max(t.y1, y);
    }
  }
  std::vector<std::uint8_t> drop(static_cast<std::size_t>(n), 0);
  bool any = false;
  for (int i = 1; i < n; ++i) {
    const Tally& t = tally[static_cast<std::size_t>(i)];
    if (t.pixels == 0) continue;
    // What was there before is back: colour for colour, or, where it has a pattern to
    // compare, the same pattern under other light (the camera's gain follows whoever walks
    // close to it). A flat place is judged by colour alone: a person in clothes of the
    // floor's brightness would pass for light; so is a small one, where a distant person
    // is too little of the patch to lower its correlation.
    const cv::Rect box(t.x0, t.y0, t.x1 - t.x0 + 1, t.y1 - t.y0 + 1);
    const bool came_back =
        t.back >= config_.release_share * t.pixels ||
        (box.area() >= config_.least_pattern_px && textured(clear_(box)) &&
         !structure_changed(frame, clear_, box));
    const bool too_long = t_s - t.last_seen > config_.max_hold_s;
    if (came_back || too_long) {
      drop[static_cast<std::size_t>(i)] = 1;
      any = true;
    }
  }
  if (!any) return;
  for (int y = 0; y < held_.rows; ++y) {
    const int* label = labels.ptr<int>(y);
    std::uint8_t* h = held_.ptr<std::uint8_t>(y);
    for (int x = 0; x < held_.cols; ++x) {
      if (drop[static_cast<std::size_t>(label[x])] != 0) h[x] = 0;
    }
  }
}

std::vector<cv::Rect> PrivacyMap::held_regions(const PersonHeightAt& height) const {
  const cv::Rect image(0, 0, held_.cols, held_.rows);
  std::vector<cv::Rect> out;
  if (config_.border_px > 0) {
    const int b = std::min({config_.border_px, held_.cols, held_.rows});
    out.push_back(cv::Rect(0, 0, held_.cols, b));
    out.push_back(cv::Rect(0, held_.rows - b, held_.cols, b));
    out.push_back(cv::Rect(0, 0, b, held_.rows));
    out.push_back(cv::Rect(held_.cols - b, 0, b, held_.rows));
  }
  if (cv::countNonZero(held_) == 0) return out;
  const int edge = config_.border_px + 2;  // the border strip and the dilation below
  // Fragments a few pixels apart (a person's head above a torso) become one region.
  cv::Mat joined;
  cv::dilate(held_, joined, cv::Mat(), cv::Point(-1, -1), 2);
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(joined, labels, stats, centroids, 8, CV_32S);
  for (int i = 1; i < n; ++i) {
    const cv::Rect r(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                     stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    // A region smaller than a person standing there may be all the models saw of one (a
    // torso against a wall the colour of the legs): it grows to a person's size every way,
    // and its margin is a share of that person's size, not of the part seen.
    // Specks far smaller than a person there are noise, not part of one: they keep their own
    // margin only.
    const double h = height ? height({r.x + r.width / 2.0, static_cast<double>(r.br().y)}) : 0.0;
    // At the image's edge someone entering or leaving is a sliver of themselves, however
    // small the part the models saw there: it grows as a person's part does.
    const bool at_edge = r.x <= edge || r.y <= edge || r.br().x >= held_.cols - edge ||
                         r.br().y >= held_.rows - edge;
    const bool part =
        h > 0 && (at_edge || r.area() >= config_.least_part_of_person * 0.4 * h * h);
    const double size = std::max({static_cast<double>(r.width), static_cast<double>(r.height),
                                  part ? h : 0.0});
    const int margin =
        std::max(config_.min_margin_px, static_cast<int>(std::ceil(config_.margin * size)));
    int grow_x = margin;
    int grow_y = margin;
    if (part && h > r.height) grow_y += static_cast<int>(std::ceil(h - r.height));
    if (part && 0.5 * h > r.width) grow_x += static_cast<int>(std::ceil(0.5 * h - r.width));
    out.push_back(
        cv::Rect(r.x - grow_x, r.y - grow_y, r.width + 2 * grow_x, r.height + 2 * grow_y) & image);
  }
  return out;
}

}  // namespace vigie::perceive
