using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace ObjStore.S3.Protocol;

/// <summary>S3's XML: the namespace, its timestamp format, and safe parsing of request bodies.</summary>
public static class Xml
{
    public static readonly XNamespace Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

    public static XElement El(string name, params object?[] content) => new(Ns + name, content);

    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes a response document. Any string can be written, always: keys may hold characters XML 1.0 cannot carry
    /// as text (U+0000-U+001F but tab, LF and CR; U+FFFE, U+FFFF), and like S3 they go out as character references
    /// (<c>&amp;#x1;</c>), so listing, multipart and error documents that name such a key never fail half-way.
    /// </summary>
    public static byte[] Serialize(XElement root)
    {
        var text = new StringBuilder(256);
        text.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        WriteElement(text, root, XNamespace.None);
        return new UTF8Encoding(false).GetBytes(text.ToString());
    }

    private static void WriteElement(StringBuilder text, XElement element, XNamespace inherited)
    {
        string name = element.Name.LocalName;
        text.Append('<').Append(name);
        if (element.Name.Namespace != inherited)
        {
            text.Append(" xmlns=\"");
            Escape(text, element.Name.NamespaceName, attribute: true);
            text.Append('"');
        }
        foreach (var attribute in element.Attributes())
        {
            if (attribute.IsNamespaceDeclaration && attribute.Name.Namespace == XNamespace.None)
            {
                continue; // the default namespace is written from the element's name
            }
            text.Append(' ');
            if (attribute.IsNamespaceDeclaration)
            {
                text.Append("xmlns:").Append(attribute.Name.LocalName);
            }
            else if (attribute.Name.Namespace != XNamespace.None)
            {
                text.Append(element.GetPrefixOfNamespace(attribute.Name.Namespace)).Append(':').Append(attribute.Name.LocalName);
            }
            else
            {
                text.Append(attribute.Name.LocalName);
            }
            text.Append("=\"");
            Escape(text, attribute.Value, attribute: true);
            text.Append('"');
        }
        if (element.IsEmpty)
        {
            text.Append("/>");
            return;
        }
        text.Append('>');
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XElement child:
                    WriteElement(text, child, element.Name.Namespace);
                    break;
                case XText value:
                    Escape(text, value.Value, attribute: false);
                    break;
            }
        }
        text.Append("</").Append(name).Append('>');
    }

    private static void Escape(StringBuilder text, string value, bool attribute)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '&': text.Append("&amp;"); break;
                case '<': text.Append("&lt;"); break;
                case '>': text.Append("&gt;"); break;
                case '"' when attribute: text.Append("&quot;"); break;
                case '\t' or '\n' or '\r' when !attribute: text.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF':
                    text.Append("&#x").Append(((int)c).ToString("X", CultureInfo.InvariantCulture)).Append(';');
                    break;
                default: text.Append(c); break;
            }
        }
    }

    /// <summary>Deepest nesting any request document of S3's needs (a lifecycle rule's And filter is about 5).</summary>
    public const int MaxDepth = 16;

    /// <summary>Most elements any request document needs: a completion of 10,000 parts, each with number, ETag and checksum.</summary>
    public const int MaxElements = 50_000;

    /// <summary>
    /// Parses a small request body; no DTDs, bounded size, depth and element count. The bounds are checked as the
    /// reader goes, so a document nested 200,000 deep costs the first <see cref="MaxDepth"/> levels, not a tree of
    /// them. Anything unparsable or out of bounds is MalformedXML.
    /// </summary>
    public static XElement Parse(byte[] body)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = 4 << 20,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CheckCharacters = false, // keys with control characters arrive as character references (&#x1;), as S3 writes them
        };
        try
        {
            using (var scan = XmlReader.Create(new MemoryStream(body), settings))
            {
                int elements = 0;
                while (scan.Read())
                {
                    if (scan.NodeType == XmlNodeType.Element && (scan.Depth >= MaxDepth || ++elements > MaxElements))
                    {
                        throw new S3Exception(S3Error.MalformedXML,
                            $"The XML document is nested deeper than {MaxDepth} levels or has more than {MaxElements} elements.");
                    }
                }
            }
            using var reader = XmlReader.Create(new MemoryStream(body), settings);
            return XElement.Load(reader);
        }
        catch (XmlException e)
        {
            throw new S3Exception(S3Error.MalformedXML, inner: e);
        }
    }

    /// <summary>Child elements by local name, whatever namespace the client used.</summary>
    public static IEnumerable<XElement> Children(XElement parent, string localName) =>
        parent.Elements().Where(e => e.Name.LocalName == localName);

    public static string? ChildValue(XElement parent, string localName) => Children(parent, localName).FirstOrDefault()?.Value;
}
