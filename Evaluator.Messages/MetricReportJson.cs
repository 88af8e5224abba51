using System.Text;
using System.Text.Json;

namespace Evaluator.Messages;

/// <summary>
/// Writes a <see cref="MetricReport"/> in the report shape of DESIGN.md with stable snake_case
/// field names. Counts are JSON integers; absent values are null. Written with
/// <see cref="Utf8JsonWriter"/> so the field order and the null rule are explicit.
/// </summary>
public static class MetricReportJson
{
    public static string Write(MetricReport r, bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            Write(w, r);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void Write(Utf8JsonWriter w, MetricReport r)
    {
        w.WriteStartObject();
        WriteFields(w, r, sparseMatrix: false);
        w.WriteEndObject();
    }

    /// <summary>
    /// The report's fields into an object the caller opened. With <paramref name="sparseMatrix"/>
    /// the matrix is <c>confusion_cells</c>: its nonzero cells as <c>[row, column, count]</c>
    /// (rows ground truth), instead of the dense <c>confusion_matrix</c>.
    /// </summary>
    public static void WriteFields(Utf8JsonWriter w, MetricReport r, bool sparseMatrix)
    {
        var spec = r.Spec;
        if (r.Run is null) w.WriteNull("run");
        else w.WriteString("run", r.Run);
        w.WriteNumber("num_classes", spec.NumClasses);
        w.WriteStartArray("class_names");
        foreach (var n in spec.ClassNames) w.WriteStringValue(n);
        w.WriteEndArray();

        w.WriteStartArray("ignore_labels");
        foreach (var l in spec.IgnoreLabels) w.WriteNumberValue(l);
        w.WriteEndArray();
        if (spec.LabelMap is null) w.WriteNull("label_map");
        else w.WriteString("label_map", spec.LabelMap.Name);
        w.WriteString("out_of_range", spec.OutOfRange == OutOfRangePolicy.Error ? "error" : "ignore");
        if (spec.TargetClasses.IsEmpty) w.WriteNull("target_classes");
        else
        {
            w.WriteStartArray("target_classes");
            foreach (var k in spec.TargetClasses) w.WriteNumberValue(k);
            w.WriteEndArray();
        }

        WritePixels(w, r.Pixels);

        var c = r.Matrix.NumClasses;
        if (sparseMatrix)
        {
            w.WriteStartArray("confusion_cells");
            for (var t = 0; t < c; t++)
            {
                for (var p = 0; p < c; p++)
                {
                    if (r.Matrix[t, p] is var n && n == 0) continue;
                    w.WriteStartArray();
                    w.WriteNumberValue(t);
                    w.WriteNumberValue(p);
                    w.WriteNumberValue(n);
                    w.WriteEndArray();
                }
            }
            w.WriteEndArray();
        }
        else
        {
            w.WriteStartArray("confusion_matrix");
            for (var t = 0; t < c; t++)
            {
                w.WriteStartArray();
                for (var p = 0; p < c; p++) w.WriteNumberValue(r.Matrix[t, p]);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }

        w.WriteStartArray("per_class");
        foreach (var m in r.PerClass)
        {
            w.WriteStartObject();
            w.WriteNumber("id", m.Id);
            w.WriteString("name", m.Name);
            Number(w, "iou", m.Iou);
            Number(w, "accuracy", m.Accuracy);
            Number(w, "precision", m.Precision);
            Number(w, "dice", m.Dice);
            Number(w, "f_beta", m.FBeta);
            w.WriteNumber("support", m.Support);
            w.WriteNumber("predicted", m.Predicted);
            w.WriteNumber("true_positives", m.TruePositives);
            if (r.Cityscapes is not null) Number(w, "iiou", m.Iiou);
            if (r.Boundary is { } b)
            {
                Number(w, "boundary_iou", b.Iou(m.Id));
                w.WriteNumber("boundary_intersection", b.Intersection[m.Id]);
                w.WriteNumber("boundary_union", b.Union[m.Id]);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();

        Number(w, "mean_iou", r.MeanIou);
        Number(w, "frequency_weighted_iou", r.FrequencyWeightedIou);
        Number(w, "pixel_accuracy", r.PixelAccuracy);
        Number(w, "mean_accuracy", r.MeanAccuracy);
        Number(w, "mean_dice", r.MeanDice);
        w.WriteNumber("beta", spec.Beta);
        Number(w, "mean_f_beta", r.MeanFBeta);
        if (r.Cityscapes is not null)
        {
            w.WriteString("protocol", "cityscapes");
            Number(w, "mean_iiou", r.MeanIiou);
        }
        if (r.Boundary is not null)
        {
            Number(w, "mean_boundary_iou", r.MeanBoundaryIou);
            Number(w, "boundary_dilation", r.BoundaryDilation);
        }

        if (!r.Categories.IsEmpty)
        {
            w.WriteStartArray("categories");
            foreach (var cat in r.Categories)
            {
                w.WriteStartObject();
                w.WriteString("name", cat.Name);
                w.WriteStartArray("classes");
                foreach (var k in cat.Classes) w.WriteNumberValue(k);
                w.WriteEndArray();
                Number(w, "iou", cat.Iou);
                if (r.Cityscapes is not null) Number(w, "iiou", cat.Iiou);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Number(w, "mean_category_iou", r.MeanCategoryIou);
            if (r.Cityscapes is not null) Number(w, "mean_category_iiou", r.MeanCategoryIiou);
        }

        if (r.WorstImages is { } worst)
        {
            w.WriteStartArray("worst_images");
            foreach (var image in worst)
            {
                w.WriteStartObject();
                WriteImageFields(w, image.Image, image.Prediction, image.Pixels);
                Number(w, "mean_iou", image.MeanIou);
                Number(w, "pixel_accuracy", image.PixelAccuracy);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }

        WriteBootstrap(w, r.Bootstrap);
    }

    /// <summary><c>bootstrap</c>: null, or {resamples, confidence, seed, mean_iou: {low, high}, per_class_iou: [{low, high} | null]}.</summary>
    private static void WriteBootstrap(Utf8JsonWriter w, BootstrapIntervals? b)
    {
        if (b is null)
        {
            w.WriteNull("bootstrap");
            return;
        }
        w.WritePropertyName("bootstrap");
        Bootstrap(w, b);
    }

    /// <summary>
    /// The <c>bootstrap</c> object as a value (the property name, if any, already written): the
    /// report's field and the body of GET /runs/{id}/bootstrap.
    /// </summary>
    public static void Bootstrap(Utf8JsonWriter w, BootstrapIntervals b)
    {
        w.WriteStartObject();
        w.WriteNumber("resamples", b.Resamples);
        w.WriteNumber("confidence", b.Confidence);
        w.WriteNumber("seed", b.Seed);
        w.WritePropertyName("mean_iou");
        Interval(w, b.MeanIou);
        w.WriteStartArray("per_class_iou");
        foreach (var ci in b.PerClassIou) Interval(w, ci);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>An interval as {low, high}, or null (the property name, if any, already written).</summary>
    public static void Interval(Utf8JsonWriter w, ConfidenceInterval? ci)
    {
        if (ci is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        Number(w, "low", ci.Low);
        Number(w, "high", ci.High);
        w.WriteEndObject();
    }

    /// <summary>An image's names and pixel counts (a per-image row, an entry of worst_images).</summary>
    public static void WriteImageFields(Utf8JsonWriter w, string image, string prediction, PixelCounts pixels)
    {
        w.WriteString("image", image);
        w.WriteString("prediction", prediction);
        WritePixels(w, pixels);
    }

    /// <summary>The <c>pixels</c> object of the report.</summary>
    public static void WritePixels(Utf8JsonWriter w, PixelCounts pixels)
    {
        w.WriteStartObject("pixels");
        w.WriteNumber("total", pixels.Total);
        w.WriteNumber("counted", pixels.Counted);
        w.WriteNumber("ignored", pixels.Ignored);
        w.WriteNumber("out_of_range", pixels.OutOfRange);
        w.WriteEndObject();
    }

    /// <summary>A nullable metric: null where undefined (never NaN).</summary>
    public static void Metric(Utf8JsonWriter w, string name, double? value) => Number(w, name, value);

    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
