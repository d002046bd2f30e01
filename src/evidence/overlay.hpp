#pragma once
// What is burned into evidence images: persons pixelated, static privacy masks filled, and
// for snapshots the zone and the alert region drawn on top. Every function works in the
// pixels of the image it is given; callers scale source coordinates first if the sizes differ.
// Rendered clips are hidden in YUV 4:2:0 (yuv420.hpp) with the same geometry as in BGR.

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "core/alert.hpp"
#include "core/geometry.hpp"
#include "evidence/yuv420.hpp"

namespace vigie::evidence {

/// The solid colour of static privacy masks (BGR): a flat grey that reads as "hidden", not
/// as a dark part of the scene.
inline const cv::Scalar kPrivacyMaskColour{64, 64, 64};
/// Zone outline colour on snapshots (BGR yellow).
inline const cv::Scalar kZoneColour{0, 255, 255};
/// Alert region and outline colour on snapshots (BGR red).
inline const cv::Scalar kRegionColour{0, 0, 255};

/// How persons are made unrecognisable.
struct PixelateOptions {
  double margin = 0.10;           ///< each box grows by this share of its size on every side
  double block_fraction = 0.125;  ///< mosaic block edge, as a share of the grown box height
  int min_block_px = 8;           ///< smallest block edge, so small boxes are hidden too
};

/// Replaces each (grown) box by a mosaic of flat blocks, each the mean colour of its pixels.
/// A face is about one block: nothing in it can be read. Boxes are clipped to the image.
void pixelate_boxes(cv::Mat& bgr, const std::vector<cv::Rect2d>& boxes,
                    const PixelateOptions& options = {});
/// The same mosaic in YUV 4:2:0: the luma blocks are the BGR form's, and each block's chroma
/// is the mean of every chroma sample its pixels share in (a sample shared with a pixel just
/// outside the block takes the block's mean too, so no colour of a person survives).
void pixelate_boxes(Yuv420& image, const std::vector<cv::Rect2d>& boxes,
                    const PixelateOptions& options = {});

/// What one image hides, in its own pixels.
struct PrivacyPlan {
  std::vector<cv::Rect2d> hide;     ///< every region that may hold a person
  std::vector<cv::Rect2d> persons;  ///< what is believed to be a person
  /// The alert's own subject when it is not a person (a flame, a bag): kept readable, so
  /// only `persons` are hidden inside it. Empty: none.
  cv::Rect2d subject;
};

/// The region an alert of this type shows that is not a person and must stay readable:
/// the alert's region for fire and abandoned_object, empty for every other type.
cv::Rect2d readable_subject(const Alert& alert);

/// Pixelates what `plan` hides: `hide` everywhere but inside `subject`, `persons` everywhere.
void apply_privacy(cv::Mat& bgr, const PrivacyPlan& plan, const PixelateOptions& options = {});
/// The same in YUV 4:2:0. Inside the subject, only chroma samples that no hidden pixel
/// shares in are put back.
void apply_privacy(Yuv420& image, const PrivacyPlan& plan, const PixelateOptions& options = {});

/// The pixels apply_privacy() changes in an image of `size`, CV_8U 255 = hidden: the same
/// geometry, for measuring what an image leaves clear without rendering it.
cv::Mat hidden_pixels(cv::Size size, const PrivacyPlan& plan,
                      const PixelateOptions& options = {});

/// Fills each polygon with kPrivacyMaskColour (polygons of fewer than 3 points are ignored).
void burn_privacy_masks(cv::Mat& bgr, const std::vector<std::vector<Point>>& masks);

/// The pixels burn_privacy_masks() fills in an image of `size`, CV_8U 255 = covered. The
/// masks are the camera's and do not move: a clip computes this once.
cv::Mat privacy_mask_pixels(cv::Size size, const std::vector<std::vector<Point>>& masks);

/// What the privacy masks cover in a YUV 4:2:0 picture of one size, computed once per clip.
struct MaskCover {
  cv::Mat luma;      ///< privacy_mask_pixels() of the picture's size
  cv::Mat chroma;    ///< chroma_mask(luma): every chroma sample a covered pixel shares in
  bool any = false;  ///< whether anything is covered at all
};
MaskCover mask_cover(cv::Size size, const std::vector<std::vector<Point>>& masks);

/// Fills what `cover` (mask_cover() of the picture's size) covers with kPrivacyMaskColour in
/// YUV: the covered pixels and every chroma sample a covered pixel shares in.
void burn_privacy_masks(Yuv420& image, const MaskCover& cover);

/// Draws the zone outline, the alert's region and polygon, and one text line (event type,
/// camera, UTC time of the alert's start) on a snapshot.
void draw_alert_annotation(cv::Mat& bgr, const Alert& alert, const std::vector<Point>& zone);

}  // namespace vigie::evidence
