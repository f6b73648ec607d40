"""How OCR engines misread Vietnamese print, as data.

Training noise draws from these tables; inference can consult them to tell a known OCR
misreading from a change of content. Keys are clean text (a letter, or a short run read
as one shape), values the engine's readings. A letter without an entry is read as itself
without its marks (`strip_diacritics`), which needs no table.
"""

# Tesseract's English model on Vietnamese documents. Seen in its output:
# `Két qua cong tac tuyén truyén cai cach hanh chinh quy I nim 2024`
# = `Kết quả công tác tuyên truyền cải cách hành chính quý I năm 2024`.
_LATIN_OCR_LOWER = {
    **dict.fromkeys("èẻẽẹêếềểễệ", ("é",)),  # Két = Kết, tuyén = tuyên, Pé xuat = Đề xuất
    "á": ("é",),  # bao céo = báo cáo
    **dict.fromkeys("ăắằẳẵặâấầẩẫậã", ("4", "i")),  # 4n pham = ấn phẩm, x4 = xã, nim = năm
    **dict.fromkeys("óôốồổỗộ", ("6",)),  # c6 = có, s6 = số, d6i = đổi
    "l": ("1",),  # 1a = là, quan 1y = quản lý
    **dict.fromkeys("ưừữự", ("w", "u")),  # trung wong = trung ương
    **dict.fromkeys("ửứ", ("ir", "tr")),  # dién tir = điện tử
    "ứng": ("tmg",),  # tmg dung = ứng dụng
}
# Capitals are misread the same way, except into digits: those come from lowercase shapes.
LATIN_OCR = {
    **_LATIN_OCR_LOWER,
    **{k.upper(): tuple(r.upper() for r in v) for k, v in _LATIN_OCR_LOWER.items() if all(r.isalpha() for r in v)},
    "Đ": ("P",),  # Pang = Đảng
}

# An OCR engine with a Vietnamese model keeps the marks but sometimes picks wrong ones
# (`hành vì vi phạm` for hành vi vi phạm; any mark for any other, no table needed) and
# misreads a few letter groups: `Tập ưung` for Tập trung.
VIETNAMESE_OCR = {"tr": ("ư",), "Tr": ("Ư",), "TR": ("Ư",)}

# Specks and smudges read as symbols inside a word: `quy§ết`, `th’ực`.
STRAY_SYMBOLS = "@¢§’"
